/**
 * Console passwords (docs/architecture/console.md#users): Argon2id through `@node-rs/argon2` (a
 * prebuilt native addon shipped in npm packages, nothing to compile), with its recommended cost
 * (19 MiB, 2 passes, 1 lane: OWASP's first Argon2id setting).
 */
import { randomBytes } from 'node:crypto';
import { IpGateError } from '@ipgate/core';
import { hash, verify } from '@node-rs/argon2';

/** The shortest password accepted. Long passphrases beat composition rules (NIST SP 800-63B). */
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

/** Argon2id, the algorithm `@node-rs/argon2` numbers 2. */
const ARGON2ID = 2;

/**
 * The password's encoded Argon2id hash, after checking its length (IPG_VALIDATION_FAILED, field
 * `password`).
 *
 * @example
 * const stored = await hashPassword('correct horse battery'); // '$argon2id$v=19$m=19456,t=2,p=1$…'
 */
export async function hashPassword(password: string): Promise<string> {
  checkPassword(password);
  return hash(password, { algorithm: ARGON2ID });
}

/**
 * Whether `password` matches the encoded hash. Never throws for a malformed hash: that is a no.
 *
 * @example
 * await verifyPassword(stored, 'correct horse battery'); // true
 */
export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await verify(encoded, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of one verification for a name that does not exist, so the answer's timing does
 * not tell which user names exist.
 *
 * @example
 * if (user === undefined) await verifyNobody(password);
 */
export async function verifyNobody(password: string): Promise<false> {
  dummy ??= hash(randomBytes(16).toString('hex'), { algorithm: ARGON2ID });
  await verifyPassword(await dummy, typeof password === 'string' ? password : '');
  return false;
}

/**
 * Throws IPG_VALIDATION_FAILED unless the password is acceptable.
 *
 * @example
 * checkPassword('short'); // throws: at least 12 characters
 */
export function checkPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD_LENGTH) {
    throw new IpGateError(
      'IPG_VALIDATION_FAILED',
      `The password must have at least ${MIN_PASSWORD_LENGTH} characters.`,
      { field: 'password', hint: 'A passphrase of a few unrelated words is long and easy to remember.' },
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new IpGateError(
      'IPG_VALIDATION_FAILED',
      `The password must have at most ${MAX_PASSWORD_LENGTH} characters.`,
      { field: 'password' },
    );
  }
}

/**
 * A random password for a user made by a program (the demo's owner): 20 characters, 120 bits.
 *
 * @example
 * newPassword(); // 'Hk3v-9QpZ-w2Lr-x8Td-Ma4e' style, base64url in groups
 */
export function newPassword(): string {
  const raw = randomBytes(15).toString('base64url');
  return raw.match(/.{1,5}/g)?.join('-') ?? raw;
}
