import { randomBytes } from 'node:crypto';

/** The resources that carry a server-generated id, with their prefixes. */
export type IdKind =
  | 'ten'
  | 'ent'
  | 'api'
  | 'key'
  | 'kie'
  | 'kde'
  | 'aud'
  | 'prn'
  | 'obs'
  | 'ses'
  | 'nch'
  | 'ntf'
  | 'dlv'
  | 'att'
  | 'msg'
  | 'dig'
  | 'tst';

const RANDOM_BITS = 80n;
const RANDOM_LIMIT = 1n << RANDOM_BITS;

let lastMs = 0;
let lastRandom = 0n;

/**
 * A new id: the prefix, `_`, and 128 bits as 26 lower-case base-32 characters — 48 bits of
 * milliseconds, then 80 random bits (the ULID layout). Ids made later sort later, and within one
 * millisecond this process increments the random part, so ordering lists by (created_at, id) gives
 * insertion order: two entries added in the same millisecond no longer come back in a random order.
 * Generated here rather than by the database so both dialects behave the same; lower case only so
 * ordering by id never depends on a collation. Ids are names, not secrets: they say when a thing
 * was made, and access to it is decided by the caller's token, never by knowing the id.
 *
 * @example
 * newId('ten'); // 'ten_01jd…'
 * newId('ent') < newId('ent'); // true
 */
export function newId(kind: IdKind): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    lastRandom = randomBits();
  } else {
    // Same millisecond (or the clock stepped back): stay after the previous id.
    lastRandom += 1n;
    if (lastRandom >= RANDOM_LIMIT) {
      lastMs += 1;
      lastRandom = randomBits();
    }
  }
  const n = (BigInt(lastMs) << RANDOM_BITS) | lastRandom;
  return `${kind}_${n.toString(32).padStart(26, '0')}`;
}

function randomBits(): bigint {
  // 79 bits, so that incrementing within a millisecond practically never reaches the limit.
  const bytes = randomBytes(10);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n >> 1n;
}
