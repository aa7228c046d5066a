import { createHash, randomBytes } from 'node:crypto';

/** Starts every key secret, so people and secret scanners recognise one. */
export const SECRET_PREFIX = 'ipg_live_';

/** How many characters of the secret the key row keeps for display. */
const DISPLAY_CHARS = SECRET_PREFIX.length + 4;

/**
 * A new key secret: the prefix and 32 random bytes in base64url; with its SHA-256 (what the store
 * keeps) and its display prefix. A fast hash is enough: the secret has 256 random bits, so there is
 * nothing to guess, and lookups by hash must be cheap on every request.
 *
 * @example
 * const { secret, hash, prefix } = newSecret(); // secret 'ipg_live_Zk3…' (52 chars), prefix 'ipg_live_Zk3x'
 */
export function newSecret(): { secret: string; hash: string; prefix: string } {
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { secret, hash: hashSecret(secret), prefix: secret.slice(0, DISPLAY_CHARS) };
}

/**
 * The stored form of a secret: hex SHA-256 of its UTF-8 bytes.
 *
 * @example
 * hashSecret('ipg_live_x').length; // 64
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
