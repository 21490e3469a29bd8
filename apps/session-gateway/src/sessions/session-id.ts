import { createHash, randomBytes } from 'node:crypto';
import { principalTag, userSessionTagFromPrincipalTag } from '@platform/redis-keys';

// The cookie carries `<principal tag>.<secret>`. The principal tag (22 base64url characters, a hash
// of the user id) names the user's hash tag, so a request finds its record with no lookup table.
// The secret is 256 random bits. Redis and the admin API only ever see the session id, a SHA-256
// hash of the secret, so neither a Redis dump nor an admin listing yields a usable cookie.

const TAG = '[A-Za-z0-9_-]{22}';
const SECRET = '[A-Za-z0-9_-]{43}';
const COOKIE_VALUE = new RegExp(`^(${TAG})\\.(${SECRET})$`);
const PUBLIC_ID = new RegExp(`^(${TAG})\\.(${SECRET})$`);

/** Character-set and length rule of the session ids that the admin API accepts. */
export const PUBLIC_SESSION_ID_PATTERN = `^${TAG}\\.${SECRET}$`;

/** Location of a session record: the user's hash tag and the record's id inside it. */
export interface SessionLocator {
  /** Principal tag of the user, as carried in the cookie. */
  readonly principalTag: string;
  /** Hash tag `{u:<principal tag>}` shared by the user's session keys. */
  readonly userTag: string;
  /** Hash of the cookie secret; the id under which the record is stored. */
  readonly sessionId: string;
}

export interface NewSession extends SessionLocator {
  readonly cookieValue: string;
}

/** Creates the cookie value and the record location of a new session for a user. */
export function newSession(userId: string): NewSession {
  const tag = principalTag(userId);
  const secret = randomBytes(32).toString('base64url');
  return { principalTag: tag, userTag: userSessionTagFromPrincipalTag(tag), sessionId: sessionIdOf(secret), cookieValue: `${tag}.${secret}` };
}

/** Locates the session named by a cookie value; undefined for anything not shaped like one. */
export function locateFromCookie(cookieValue: string | undefined): SessionLocator | undefined {
  const match = cookieValue === undefined ? null : COOKIE_VALUE.exec(cookieValue);
  if (match === null) return undefined;
  const tag = match[1]!;
  return { principalTag: tag, userTag: userSessionTagFromPrincipalTag(tag), sessionId: sessionIdOf(match[2]!) };
}

/** Locates a session from its public id `<principal tag>.<session id>`, as the admin API shows it. */
export function locateFromPublicId(publicId: string): SessionLocator | undefined {
  const match = PUBLIC_ID.exec(publicId);
  if (match === null) return undefined;
  const tag = match[1]!;
  return { principalTag: tag, userTag: userSessionTagFromPrincipalTag(tag), sessionId: match[2]! };
}

/** Public id of a session, safe to show to administrators and to write to the audit trail. */
export function publicSessionId(locator: SessionLocator): string {
  return `${locator.principalTag}.${locator.sessionId}`;
}

function sessionIdOf(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}
