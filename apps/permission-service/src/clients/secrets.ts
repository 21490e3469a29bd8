import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// Client secrets are 256 random bits, shown once and stored only as scrypt hashes. The stored form
// "scrypt$N$r$p$salt$hash" carries its parameters, so they can be raised later while old hashes
// still verify.

/** Prefix that marks a value as a platform client secret, for secret scanners. */
export const SECRET_PREFIX = 'pcs_';

// N = 2^15, r = 8, p = 1 needs 32 MiB and took about 65 ms per hash on a 2-core development
// machine. The secrets carry 256 random bits, so the cost only has to slow a search over a leaked
// hash table. The same cost bounds how many token requests per second one core can verify.
const PARAMETERS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const STORED_FORM = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function scrypt(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function memoryFor(parameters: { N: number; r: number }): number {
  return 128 * parameters.N * parameters.r * 2;
}

/** Generates a new client secret. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Hashes a secret with a fresh salt. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(secret, salt, KEY_LENGTH, { ...PARAMETERS, maxmem: memoryFor(PARAMETERS) });
  return `scrypt$${PARAMETERS.N}$${PARAMETERS.r}$${PARAMETERS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Checks a presented secret against a stored hash in constant time; false for a malformed hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const match = STORED_FORM.exec(stored);
  if (match === null) return false;
  const parameters = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const salt = Buffer.from(match[4]!, 'base64url');
  const expected = Buffer.from(match[5]!, 'base64url');
  const key = await scrypt(secret, salt, expected.length, { ...parameters, maxmem: memoryFor(parameters) });
  return timingSafeEqual(key, expected);
}

// A fixed hash to spend the same time on when the client is unknown, so timing does not reveal it.
let decoyHash: Promise<string> | undefined;

/** Spends the time of one verification without a stored hash. */
export async function verifyAgainstDecoy(secret: string): Promise<false> {
  decoyHash ??= hashSecret(generateSecret());
  await verifySecret(secret, await decoyHash);
  return false;
}
