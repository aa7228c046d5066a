/**
 * The onRequest hook that authenticates `Authorization: Bearer <admin token>` (or, without that header,
 * the console's session cookie: docs/architecture/console.md#sessions) and enforces each route's
 * declared {@link Access}: 401 without valid credentials, 404 for tenants and top-level resources the
 * token may not see, 403 when its role is too low — in that order, so a token of another tenant
 * cannot tell whether a resource exists by the status it gets.
 */
import { IpGateError } from '@ipgate/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { displayPrefix, looksLikeSecret, TOKEN_SECRET_PREFIX } from '../../secrets/secrets.js';
import type { ConsoleSession } from '../../store/console-sessions.js';
import type { Principal, Store } from '../../store/store.js';
import { type SessionPolicy, sessionOfRequest } from '../console/session-policy.js';
import { forbidden, hiddenTenant, roleAllows } from './access.js';
import { backoffAddressKey } from './backoff-address.js';
import type { FailureBackoff } from './failure-backoff.js';
import { VerifiedSecrets } from './verified-secrets.js';

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
  const verified = new VerifiedSecrets();
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    // Unknown routes have no access declared: they fall through to the 404 handler.
    if (access === undefined || access.role === 'public') return;
    const principal = await authenticate(request, reply, options, verified);
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

async function authenticate(
  request: FastifyRequest,
  reply: FastifyReply,
  options: AuthenticateOptions,
  verified: VerifiedSecrets,
): Promise<Principal> {
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
  const secret = BEARER.exec(header)?.[1];
  // A token this node found valid recently is not a guess: it skips the backoff (not the check), so
  // a client's concurrent requests do not queue behind each other.
  const known = secret !== undefined && verified.has(secret);
  const turn = known ? undefined : await awaitTurn(request, reply, options, authSubject(secret));
  // The store looks the token up by its hash, so nothing here compares secrets byte by byte.
  const principal = secret === undefined ? undefined : await options.store.findTokenBySecret(secret);
  if (principal === undefined) {
    if (secret !== undefined) verified.delete(secret);
    turn?.failed();
    throw new IpGateError('IPG_AUTH_REQUIRED', 'The admin token is not valid.', {
      hint: 'Send Authorization: Bearer <admin token> with a token that exists.',
    });
  }
  turn?.succeeded();
  if (secret !== undefined) verified.add(secret);
  return principal;
}

/**
 * The backoff subject of presented bearer credentials: the token's display prefix, which is the same
 * for every guess at one token and differs between tokens. Everything that cannot be a token shares one.
 *
 * @example
 * authSubject('ipg_adm_Zk3xQ…'); // 'token:ipg_adm_Zk3x'
 */
export function authSubject(secret: string | undefined): string {
  return looksLikeSecret(secret, TOKEN_SECRET_PREFIX)
    ? `token:${displayPrefix(secret, TOKEN_SECRET_PREFIX)}`
    : 'token:(not a token)';
}

/**
 * Takes the attempt's turn in the failure backoff (docs/security.md#admin-authentication-backoff): waits
 * for it, or answers 429 with Retry-After when it is too far away.
 *
 * @example
 * const turn = await awaitTurn(request, reply, options, 'user:vera');
 */
export async function awaitTurn(
  request: FastifyRequest,
  reply: FastifyReply,
  options: Pick<AuthenticateOptions, 'backoff' | 'sleep'>,
  subject: string,
): Promise<{ failed(): void; succeeded(): void }> {
  const turn = options.backoff.begin(backoffAddressKey(request.socket.remoteAddress), subject);
  if (turn.refused) {
    const seconds = Math.max(1, Math.ceil(turn.retryAfterMs / 1000));
    reply.header('retry-after', String(seconds));
    throw new IpGateError('IPG_AUTH_THROTTLED', 'Too many failed attempts to authenticate; not checked.', {
      hint: `Wait ${seconds} s (Retry-After) and check the credentials: failures from this address or with these credentials are slowed down.`,
    });
  }
  if (turn.waitMs > 0) await options.sleep(turn.waitMs);
  return turn;
}
