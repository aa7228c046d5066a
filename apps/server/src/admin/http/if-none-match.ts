/**
 * `If-None-Match` for the published rules (RFC 9110 §13.1.2): the client names the versions it has.
 */

const TAG = /^(?:W\/)?"([^"]*)"$/;

/**
 * Whether an `If-None-Match` header names the entity tag `"<version>"`: `*` matches any, a list
 * matches when one member does, weak and strong tags compare alike (weak comparison, as the RFC asks
 * for this header). An absent or unreadable header matches nothing, so the client gets the document.
 *
 * @example
 * noneMatchNames('"42"', 42); // true
 * noneMatchNames('W/"41", "42"', 42); // true
 * noneMatchNames(undefined, 42); // false
 */
export function noneMatchNames(header: string | readonly string[] | undefined, version: number): boolean {
  if (header === undefined) return false;
  const text = typeof header === 'string' ? header : header.join(',');
  if (text.trim() === '*') return true;
  const wanted = String(version);
  for (const part of text.split(',')) {
    const tag = TAG.exec(part.trim());
    if (tag?.[1] === wanted) return true;
  }
  return false;
}
