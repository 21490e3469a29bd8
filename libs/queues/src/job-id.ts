import { createHash } from 'node:crypto';

/**
 * Builds a BullMQ job id from parts that may contain any character. BullMQ stores job ids inside
 * Redis keys and rejects ids with `:`, so the parts are hashed; equal parts give equal ids, which
 * makes re-sending the same event a no-op while the first job is still kept.
 */
export function jobIdFor(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000'), 'utf8').digest('base64url');
}
