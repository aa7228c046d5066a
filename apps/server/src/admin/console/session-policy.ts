/**
 * How long a console session lives, and the checks a request signed in by its cookie must pass
 * (docs/architecture/console.md#sessions).
 */
import { timingSafeEqual } from 'node:crypto';
import { IpGateError } from '@ipgate/core';
import type { FastifyRequest } from 'fastify';
import type { ConsoleSession } from '../../store/console-sessions.js';
import type { Store } from '../../store/store.js';
import { sessionCookieOf } from './session-cookie.js';

/** Session lifetimes. */
export interface ConsoleSessionOptions {
  /** A session unused this long ends; default 30 minutes. */
  readonly idleTimeoutMs?: number | undefined;
  /** A session ends this long after sign-in whatever its use; default 12 hours. */
  readonly absoluteTimeoutMs?: number | undefined;
  /** For tests. */
  readonly now?: (() => number) | undefined;
}

/** The options with their defaults. */
export interface SessionPolicy {
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  readonly now: () => number;
}

/**
 * Activity is written at most once a minute per session (or a tenth of the idle timeout, when that is
 * shorter), so reads do not all turn into writes; the idle end is then up to that much early.
 */
const TOUCH_EVERY_MS = 60_000;

/**
 * The options with their defaults filled in.
 *
 * @example
 * sessionPolicy({}).idleTimeoutMs; // 1_800_000
 */
export function sessionPolicy(options: ConsoleSessionOptions = {}): SessionPolicy {
  return {
    idleTimeoutMs: options.idleTimeoutMs ?? 30 * 60_000,
    absoluteTimeoutMs: options.absoluteTimeoutMs ?? 12 * 3600_000,
    now: options.now ?? Date.now,
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The session of a request that carries the console's cookie, after every check: the session exists and
 * has not expired (idle or absolute; an expired one is deleted), the request comes from the console's own
 * origin, and a state-changing request carries the session's CSRF token. Undefined when the request has
 * no session cookie at all.
 *
 * @example
 * const session = await sessionOfRequest(request, store, policy);
 */
export async function sessionOfRequest(
  request: FastifyRequest,
  store: Store,
  policy: SessionPolicy,
): Promise<ConsoleSession | undefined> {
  const secret = sessionCookieOf(request);
  if (secret === undefined) return undefined;
  refuseOtherOrigins(request);
  const session = await store.findConsoleSession(secret);
  if (session === undefined) throw signedOut('The console session is not valid (signed out, or never was).');
  const now = policy.now();
  if (now >= session.expiresAt.getTime() || now - session.lastSeenAt.getTime() >= policy.idleTimeoutMs) {
    await store.deleteConsoleSession(session.id);
    throw signedOut('The console session has expired.');
  }
  if (!SAFE_METHODS.has(request.method)) checkCsrfToken(request, session.csrfToken);
  if (now - session.lastSeenAt.getTime() >= Math.min(TOUCH_EVERY_MS, policy.idleTimeoutMs / 10)) {
    await store.touchConsoleSession(session.id, new Date(now));
  }
  return session;
}

/**
 * Refuses a request that a page of another origin made: its `Origin` is not this server's, or the
 * browser marks it as not same-origin (`Sec-Fetch-Site`). A port is part of the origin, so another
 * service on the same host (same *site*, which `SameSite` lets through) is refused here.
 *
 * @example
 * refuseOtherOrigins(request); // throws IPG_CSRF_REJECTED for Origin: http://evil.example
 */
export function refuseOtherOrigins(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    throw csrf(`The request came from a page of another origin (Sec-Fetch-Site: ${site}).`);
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = request.headers.host;
  if (host === undefined || (origin !== `http://${host}` && origin !== `https://${host}`)) {
    throw csrf(`The request came from a page of another origin (${origin}).`);
  }
}

function checkCsrfToken(request: FastifyRequest, expected: string): void {
  const given = request.headers['x-csrf-token'];
  if (typeof given !== 'string' || given === '') {
    throw csrf('A change made with a console session needs its X-CSRF-Token header.');
  }
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw csrf('The X-CSRF-Token header does not belong to this session.');
  }
}

function csrf(message: string): IpGateError {
  return new IpGateError('IPG_CSRF_REJECTED', message, {
    hint: 'Use the console at /console/ of this server, or an admin token (Authorization: Bearer …) from scripts.',
  });
}

function signedOut(message: string): IpGateError {
  return new IpGateError('IPG_AUTH_REQUIRED', message, { hint: 'Sign in again at /console/.' });
}
