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
 * The request's headers, with `authorization` and `host` as the list of every copy when the request
 * carried one more than once. Node keeps only the first of each in `req.headers`, but a proxy or
 * upstream behind ipgate may read another copy: a second key, never checked, would be the one used; a
 * second Host would name a host routing never saw. With every copy visible, {@link presentedKey} calls
 * the key `ambiguous` and the pipeline refuses the host. Returns `headers` itself (no copy) in the
 * usual case of one or none of each.
 *
 * @example
 * withEveryCopy(req.headers, req.rawHeaders).authorization; // ['Bearer a', 'Bearer b'] when sent twice
 */
export function withEveryCopy<H extends Readonly<Record<string, HeaderValue>>>(
  headers: H,
  rawHeaders: readonly string[],
):
  | H
  | (Omit<H, 'authorization' | 'host'> & {
      readonly authorization?: HeaderValue;
      readonly host?: HeaderValue;
    }) {
  // Counted first, listed only when a name came twice: this runs on every request, and a list made
  // per header for the usual single copy was ~290 bytes of garbage per request.
  let auths = 0;
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    // A length check first: most names are neither 13 nor 4 long.
    if (name.length === 13 && name.toLowerCase() === 'authorization') auths++;
    else if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  if (auths < 2 && hosts < 2) return headers;
  const auth: string[] = [];
  const host: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (name === 'authorization') auth.push(rawHeaders[i + 1] as string);
    else if (name === 'host') host.push(rawHeaders[i + 1] as string);
  }
  return {
    ...headers,
    ...(auths > 1 ? { authorization: auth } : {}),
    ...(hosts > 1 ? { host } : {}),
  };
}
