import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../src/auth/return-path.ts';
import { UNSAFE_RETURN_PATHS } from '../support/return-paths.ts';

const ORIGIN = 'http://localhost:8000';

describe('safeReturnPath', () => {
  it.each(UNSAFE_RETURN_PATHS)('falls back to / for %j', (raw) => {
    expect(safeReturnPath(raw, ORIGIN)).toBe('/');
  });

  it.each(['/', '/dashboard', '/accounts/42?tab=history#latest', '/search?q=a%20b', '/a/b/../c', '/javascript:alert(1)'])('keeps %j', (raw) => {
    expect(safeReturnPath(raw, ORIGIN)).toBe(raw);
  });

  it('falls back to / for a non-string', () => {
    expect(safeReturnPath(['/a'], ORIGIN)).toBe('/');
    expect(safeReturnPath(undefined, ORIGIN)).toBe('/');
  });

  it('falls back to / for an over-long path', () => {
    expect(safeReturnPath(`/${'a'.repeat(3000)}`, ORIGIN)).toBe('/');
  });
});
