import { Type, type Static } from 'typebox';
import { NullableTimestamp, Timestamp } from '../http/schemas.ts';
import type { SuspensionRow } from './service.ts';

export const SuspensionView = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  reason: Type.String(),
  suspendedAt: Timestamp,
  suspendedBy: Type.String(),
  expiresAt: NullableTimestamp,
  /** `active` while running; otherwise how it ended. An ended-by-time suspension reads `expired` even before the expiry job has run. */
  state: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('lifted'), Type.Literal('superseded')]),
  endedAt: NullableTimestamp,
  liftedBy: Type.Union([Type.String(), Type.Null()]),
});
export type SuspensionView = Static<typeof SuspensionView>;

/** Maps a history row; `now` is the database time of the read, so the state matches derived user status. */
export function toSuspensionView(row: SuspensionRow, now: Date): SuspensionView {
  const expiredByTime = row.ended_at === null && row.expires_at !== null && row.expires_at.getTime() <= now.getTime();
  return {
    id: row.id,
    userId: row.user_id,
    reason: row.reason,
    suspendedAt: row.suspended_at.toISOString(),
    suspendedBy: row.suspended_by,
    expiresAt: row.expires_at?.toISOString() ?? null,
    state: row.end_reason ?? (expiredByTime ? 'expired' : 'active'),
    endedAt: row.ended_at?.toISOString() ?? (expiredByTime ? row.expires_at!.toISOString() : null),
    liftedBy: row.lifted_by,
  };
}
