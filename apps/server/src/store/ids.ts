import { randomBytes } from 'node:crypto';

/** The resources that carry a server-generated id, with their prefixes. */
export type IdKind = 'ten' | 'ent' | 'api' | 'key' | 'kie' | 'kde' | 'aud' | 'prn' | 'obs';

/**
 * A new id: the prefix, `_`, and 128 random bits as 26 lower-case base-32 characters.
 * Generated here rather than by the database so both dialects behave the same; lower case only so
 * ordering by id never depends on a collation.
 *
 * @example
 * newId('ten'); // 'ten_3k9v0q…'
 */
export function newId(kind: IdKind): string {
  const bytes = randomBytes(16);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `${kind}_${n.toString(32).padStart(26, '0')}`;
}
