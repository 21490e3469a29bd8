import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../src/auth/return-path.ts';

const ORIGIN = 'http://localhost:8000';

export const UNSAFE_RETURN_PATHS = [
  '//evil.example',
  '//evil.example/path',
  '/\\evil.example',
  '\\\\evil.example',
  'https://evil.example/',
  'http://localhost:8000.evil.example/',
  'http:evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,hi',
  ' /dashboard',
  '/\t/evil.example',
  '/\n/evil.example',
  '/%2F%2Fevil.example',
  '/%2f/evil.example',
  '/%5Cevil.example',
  '/%5c%5cevil.example',
  '%2F%2Fevil.example',
  '/%252F%252Fevil.example',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%E0%A4%A',
  'dashboard',
  '',
];

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
