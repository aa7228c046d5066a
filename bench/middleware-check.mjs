/**
 * The middleware benchmark's pre-flight check: before a protected app is measured, 127.0.0.1 (the
 * load generator's address, in the list) must get 200 and 127.0.0.2 (not in the list) a 4xx, so no
 * middleware is measured while doing nothing. Requests go out through undici with the source
 * address set on the Agent (`new Agent({ localAddress })`), one fresh connection per check.
 *
 * @example
 * const r = await checkGate('http://127.0.0.1:4000/');
 * r.ok; // true when 127.0.0.1 → 200 and 127.0.0.2 → 403
 * r.text; // '127.0.0.1 → 200, 127.0.0.2 → 403'
 */
import { Agent, request } from 'undici';

export const ALLOWED = '127.0.0.1';
export const DENIED = '127.0.0.2';

/** The status of one GET sent from the loopback address `from`. */
export async function statusFrom(url, from) {
  const dispatcher = new Agent({ localAddress: from, pipelining: 0 });
  try {
    const res = await request(url, { dispatcher });
    await res.body.dump();
    return res.statusCode;
  } finally {
    await dispatcher.close();
  }
}

/**
 * `protectedApp`: true for an app with an IP middleware (127.0.0.2 must be denied), false for a bare or no-op app
 * (both addresses must get 200: the denial comes from the middleware, not from the set-up).
 */
export async function checkGate(url, { protectedApp = true } = {}) {
  const allowed = await statusFrom(url, ALLOWED);
  const denied = await statusFrom(url, DENIED);
  const ok = allowed === 200 && (protectedApp ? denied >= 400 && denied < 500 : denied === 200);
  return { ok, allowed, denied, text: `${ALLOWED} → ${allowed}, ${DENIED} → ${denied}` };
}
