import { createHash, timingSafeEqual } from 'node:crypto';

// Demo users of the local identity provider. They exist only for local runs and tests, so their
// passwords are public and written here in plain text.

/** Every permission of the platform's own admin APIs. */
export const PLATFORM_PERMISSIONS = [
  'sessions:revoke',
  'tokens:revoke',
  'users:suspend',
  'users:delete',
  'users:read',
  'users:provision',
  'roles:manage',
  'audit:read',
  'clients:manage',
] as const;

export interface DemoAccount {
  /** Subject (`sub`) of the account's tokens. */
  readonly subject: string;
  readonly username: string;
  readonly password: string;
  readonly email: string;
  readonly name: string;
  /** Permissions carried in the `permissions` claim of the account's access tokens. */
  readonly permissions: readonly string[];
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { subject: 'alice', username: 'alice', password: 'alice-password', email: 'alice@example.com', name: 'Alice Example', permissions: [] },
  { subject: 'admin', username: 'admin', password: 'admin-password', email: 'admin@example.com', name: 'Platform Administrator', permissions: PLATFORM_PERMISSIONS },
];

export function findAccountBySubject(subject: string): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((account) => account.subject === subject);
}

function sameSecret(candidate: string, expected: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual requires.
  const candidateHash = createHash('sha256').update(candidate).digest();
  const expectedHash = createHash('sha256').update(expected).digest();
  return timingSafeEqual(candidateHash, expectedHash);
}

/** Checks a username and password, returning the account only when both match. */
export function authenticate(username: string, password: string): DemoAccount | undefined {
  const account = DEMO_ACCOUNTS.find((candidate) => candidate.username === username);
  if (account === undefined) {
    sameSecret(password, 'no-such-account');
    return undefined;
  }
  return sameSecret(password, account.password) ? account : undefined;
}
