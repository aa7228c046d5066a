import type { HeaderValue } from '@ipgate/core';
import type { AuthHeader } from '../store/store.js';

const BEARER = /^[ \t]*bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;
const BARE = /^[ \t]*([\x21-\x7e]+)[ \t]*$/;

/**
 * The key secret a request presents in the header its API names, or why there is none.
 *
 * `authorization` takes `Bearer <secret>` (scheme in any case); `x-api-key` takes the bare secret.
 * A header sent twice is `ambiguous`, never "the first one": two layers could read different copies.
 *
 * @example
 * presentedKey({ authorization: 'Bearer ipg_live_abc' }, 'authorization'); // { ok: true, secret: 'ipg_live_abc' }
 * presentedKey({ authorization: 'Basic Zm9vOmJhcg==' }, 'authorization'); // { ok: false, problem: 'missing' }
 * presentedKey({ 'x-api-key': ['a', 'b'] }, 'x-api-key'); // { ok: false, problem: 'ambiguous' }
 */
export function presentedKey(
  headers: Readonly<Record<string, HeaderValue>>,
  header: AuthHeader,
):
  | { readonly ok: true; readonly secret: string }
  | { readonly ok: false; readonly problem: 'missing' | 'ambiguous' } {
  const value = headers[header];
  if (value === undefined) return { ok: false, problem: 'missing' };
  if (typeof value !== 'string') {
    if (value.length === 0) return { ok: false, problem: 'missing' };
    return value.length === 1
      ? presentedKey({ [header]: value[0] }, header)
      : { ok: false, problem: 'ambiguous' };
  }
  const m = (header === 'authorization' ? BEARER : BARE).exec(value);
  return m === null ? { ok: false, problem: 'missing' } : { ok: true, secret: m[1] as string };
}

/**
 * The request's headers, with `authorization` as the list of every copy when the request carried it
 * more than once. Node keeps only the first `Authorization` in `req.headers`, but a proxy or upstream
 * behind ipgate may read another copy: a second key, never checked, would then be the one used. With
 * every copy visible, {@link presentedKey} calls it `ambiguous` and the request is refused.
 * Returns `headers` itself (no copy) in the usual case of one or no Authorization.
 *
 * @example
 * withEveryAuthorization(req.headers, req.rawHeaders).authorization; // ['Bearer a', 'Bearer b'] when sent twice
 */
export function withEveryAuthorization<H extends Readonly<Record<string, HeaderValue>>>(
  headers: H,
  rawHeaders: readonly string[],
): H | (Omit<H, 'authorization'> & { readonly authorization: string[] }) {
  let first = -1;
  let copies: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    // A length check first: this runs on every request, and most names are not 13 characters long.
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
    if (first === -1) {
      first = i;
      continue;
    }
    copies ??= [rawHeaders[first + 1] as string];
    copies.push(rawHeaders[i + 1] as string);
  }
  return copies === undefined ? headers : { ...headers, authorization: copies };
}
