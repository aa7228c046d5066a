/**
 * Secrets of keys, admin tokens and session cookies: made here, stored only as hashes. The store
 * keeps the hashes and the gateway hashes the key each request presents, so this sits under both.
 */
import { hash, randomBytes } from 'node:crypto';

/** Starts every key secret, so people and secret scanners recognise one. */
export const SECRET_PREFIX = 'ipg_live_';

/** Starts every admin token secret; distinct from keys so a key can never pass as a token or back. */
export const TOKEN_SECRET_PREFIX = 'ipg_adm_';

/** How many random characters after the prefix a row keeps for display. */
const DISPLAY_RANDOM_CHARS = 4;

/**
 * A new secret: the prefix and 32 random bytes in base64url; with its SHA-256 (what the store keeps)
 * and its display prefix. A fast hash is enough: the secret has 256 random bits, so there is nothing
 * to guess, and lookups by hash must be cheap on every request.
 *
 * @example
 * const { secret, hash, prefix } = newSecret(); // secret 'ipg_live_Zk3…' (52 chars), prefix 'ipg_live_Zk3x'
 * newSecret(TOKEN_SECRET_PREFIX).secret; // 'ipg_adm_…'
 */
export function newSecret(prefix: string = SECRET_PREFIX): { secret: string; hash: string; prefix: string } {
  const secret = prefix + randomBytes(32).toString('base64url');
  return { secret, hash: hashSecret(secret), prefix: displayPrefix(secret, prefix) };
}

/**
 * The public part of a secret that identifies it: its prefix and the first random characters. Rows
 * show it; the authentication backoff counts guesses per display prefix.
 *
 * @example
 * displayPrefix('ipg_adm_Zk3xQ…', TOKEN_SECRET_PREFIX); // 'ipg_adm_Zk3x'
 */
export function displayPrefix(secret: string, prefix: string): string {
  return secret.slice(0, prefix.length + DISPLAY_RANDOM_CHARS);
}

/**
 * Whether a presented value can be a secret with this prefix at all; callers skip the database
 * otherwise (and never hash unbounded input).
 *
 * @example
 * looksLikeSecret('ipg_adm_abc', TOKEN_SECRET_PREFIX); // true
 */
export function looksLikeSecret(value: unknown, prefix: string): value is string {
  return typeof value === 'string' && value.startsWith(prefix) && value.length <= 200;
}

/**
 * The stored form of a secret: hex SHA-256 of its UTF-8 bytes.
 *
 * @example
 * hashSecret('ipg_live_x').length; // 64
 */
export function hashSecret(secret: string): string {
  // The one-shot form allocates no Hash object: this runs once per proxied request (the key lookup).
  return hash('sha256', secret, 'hex');
}
