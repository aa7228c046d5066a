/**
 * The onRequest hook that authenticates `Authorization: Bearer <admin token>` (or, without that header,
 * the console's session cookie: docs/architecture/console.md#sessions) and enforces each route's
 * declared {@link Access}: 401 without valid credentials, 404 for tenants and top-level resources the
 * token may not see, 403 when its role is too low — in that order, so a token of another tenant
 * cannot tell whether a resource exists by the status it gets.
 */
import { IpGateError } from '@ipgate/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConsoleSession } from '../../store/console-sessions.js';
import type { Principal, Store } from '../../store/store.js';
import { type SessionPolicy, sessionOfRequest } from '../console/session-policy.js';
import { forbidden, hiddenTenant, roleAllows } from './access.js';
import type { FailureBackoff } from './failure-backoff.js';

/** What the hook needs. */
export interface AuthenticateOptions {
  readonly store: Store;
  readonly backoff: FailureBackoff;
  /** Waits before answering a suspicious attempt; injectable so tests need not wait. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Console session lifetimes. */
  readonly sessions: SessionPolicy;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session the request was signed in with; null for tokens and public routes. */
    consoleSession: ConsoleSession | null;
  }
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Installs the hook.
 */
export function installAuthentication(app: FastifyInstance, options: AuthenticateOptions): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('consoleSession', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // Unknown routes have no access declared: they fall through to the 404 handler.
    if (access === undefined || access.role === 'public') return;
    const principal = await authenticate(request, options);
    request.principal = principal;

    if (access.scope === 'tenant') {
      const tenantId = (request.params as { tenantId?: string }).tenantId;
      if (tenantId === undefined) throw new Error(`route ${request.routeOptions.url} has no tenantId`);
      if (principal.tenantId !== null && principal.tenantId !== tenantId) throw hiddenTenant(tenantId);
    } else if (access.scope === 'global' && principal.tenantId !== null) {
      throw new IpGateError('IPG_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`);
    }
    if (!roleAllows(principal.role, access.role)) throw forbidden(access.role, principal.role);
  });
}

async function authenticate(request: FastifyRequest, options: AuthenticateOptions): Promise<Principal> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    // The console's cookie signs the request in like a token, after its own checks (origin, CSRF).
    const session = await sessionOfRequest(request, options.store, options.sessions);
    if (session !== undefined) {
      request.consoleSession = session;
      return session.principal;
    }
    throw new IpGateError('IPG_AUTH_REQUIRED', 'This needs an admin token.', {
      hint: 'Send Authorization: Bearer <admin token>, or sign in to the console at /console/.',
    });
  }
  const address = request.socket.remoteAddress ?? 'unknown';
  const delay = options.backoff.delayFor(address);
  if (delay > 0) await options.sleep(delay);
  const secret = BEARER.exec(header)?.[1];
  // The store looks the token up by its hash, so nothing here compares secrets byte by byte.
  const principal = secret === undefined ? undefined : await options.store.findTokenBySecret(secret);
  if (principal === undefined) {
    options.backoff.failed(address);
    throw new IpGateError('IPG_AUTH_REQUIRED', 'The admin token is not valid.', {
      hint: 'Send Authorization: Bearer <admin token> with a token that exists.',
    });
  }
  options.backoff.succeeded(address);
  return principal;
}
