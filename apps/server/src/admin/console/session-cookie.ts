/**
 * The console's session cookie (docs/architecture/console.md#sessions): `HttpOnly` (no script reads
 * it), `SameSite=Strict` (no other site's page sends it), `Secure` when the request came over TLS.
 */
import type { FastifyRequest } from 'fastify';

/** The cookie's name. */
export const SESSION_COOKIE = 'ipgate_session';

/**
 * The session secret of the request's cookie, or undefined.
 *
 * @example
 * sessionCookieOf({ headers: { cookie: 'a=1; ipgate_session=abc' } }); // 'abc'
 */
export function sessionCookieOf(request: {
  readonly headers: FastifyRequest['headers'];
}): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/**
 * Whether the request came over TLS: on the socket, or at a proxy that says so. Believing a proxy's
 * word here can only make the cookie stricter (a `Secure` cookie is never sent over plain HTTP).
 *
 * @example
 * overTls(request); // true behind a TLS-terminating proxy that sends X-Forwarded-Proto: https
 */
export function overTls(request: FastifyRequest): boolean {
  if ((request.socket as { encrypted?: boolean }).encrypted === true) return true;
  const proto = request.headers['x-forwarded-proto'];
  if (typeof proto === 'string' && proto.split(',')[0]?.trim().toLowerCase() === 'https') return true;
  const forwarded = request.headers.forwarded;
  return typeof forwarded === 'string' && /(?:^|[;,\s])proto=("?)https\1(?:[;,\s]|$)/i.test(forwarded);
}

/**
 * The `Set-Cookie` value that starts a session.
 *
 * @example
 * reply.header('set-cookie', sessionCookie(secret, 43_200, true));
 */
export function sessionCookie(secret: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${secret}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * The `Set-Cookie` value that ends it in the browser.
 *
 * @example
 * reply.header('set-cookie', clearedSessionCookie(false));
 */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}
