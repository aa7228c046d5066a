/**
 * `/v1/session`: console sign-in, who is signed in, sign-out (docs/architecture/console.md#sessions).
 * The session then authenticates every management route like an admin token.
 */
import { IpGateError } from '@ipgate/core';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Principal } from '../../store/store.js';
import { principalOf } from '../auth/access.js';
import { awaitTurn } from '../auth/authenticate.js';
import type { FailureBackoff } from '../auth/failure-backoff.js';
import { verifyNobody, verifyPassword } from '../console/passwords.js';
import { clearedSessionCookie, overTls, sessionCookie } from '../console/session-cookie.js';
import { refuseOtherOrigins, type SessionPolicy } from '../console/session-policy.js';
import { ErrorBody, errorResponses } from '../schemas/common.js';
import { Session, type SessionDto, SignInBody } from '../schemas/session.js';
import { toTokenDto } from '../schemas/tokens.js';
import type { AdminApp, AdminDeps } from './context.js';

const tags = ['session'];

/** What the session routes need besides the store. */
export interface SessionRouteDeps extends AdminDeps {
  readonly sessions: SessionPolicy;
  readonly backoff: FailureBackoff;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Registers the session routes.
 */
export function registerSessionRoutes(app: AdminApp, deps: SessionRouteDeps): void {
  const { store, sessions } = deps;

  app.post(
    '/v1/session',
    {
      config: { access: { role: 'public', scope: 'any' } },
      schema: {
        summary: 'Sign in to the console',
        description:
          'Checks a console user’s name and password and starts a session: the answer sets an HttpOnly, ' +
          'SameSite=Strict cookie and carries the CSRF token to send as X-CSRF-Token on changes. Repeated ' +
          'failures from one address or for one name are answered more and more slowly, then refused (429).',
        tags,
        body: SignInBody,
        response: {
          200: Session,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          429: ErrorBody,
          500: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      // A page elsewhere must not sign the browser in as someone else (login CSRF).
      refuseOtherOrigins(request);
      const { name, password } = request.body;
      // Guesses at one name are slowed wherever they come from; a success forgives only that name's.
      const turn = await awaitTurn(request, reply, deps, `user:${name.trim().toLowerCase()}`);
      const found = await store.findUserByName(name);
      const ok =
        found === undefined
          ? await verifyNobody(password)
          : await verifyPassword(found.passwordHash, password);
      if (!ok || found === undefined) {
        turn.failed();
        throw new IpGateError('IPG_AUTH_REQUIRED', 'The name or the password is wrong.', {
          hint: 'Users are made with ipgate users add; ipgate users reset-password sets a new password.',
        });
      }
      turn.succeeded();
      const now = sessions.now();
      const expiresAt = new Date(now + sessions.absoluteTimeoutMs);
      const { secret, session } = await store.createConsoleSession(
        found.principal.id,
        new Date(now),
        expiresAt,
      );
      reply.header('set-cookie', sessionCookie(secret, sessions.absoluteTimeoutMs / 1000, overTls(request)));
      reply.header('cache-control', 'no-store');
      return sessionDto(request, found.principal, session.csrfToken, expiresAt, sessions);
    },
  );

  app.get(
    '/v1/session',
    {
      config: { access: { role: 'viewer', scope: 'any' } },
      schema: {
        summary: 'Who is signed in',
        description:
          'The signed-in user, the session’s CSRF token and the caller’s address as the server sees it. ' +
          'With an admin token: the token’s principal.',
        tags,
        response: { 200: Session, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = request.consoleSession;
      reply.header('cache-control', 'no-store');
      return sessionDto(
        request,
        principalOf(request),
        session?.csrfToken ?? null,
        session?.expiresAt ?? null,
        sessions,
      );
    },
  );

  app.delete(
    '/v1/session',
    {
      config: { access: { role: 'viewer', scope: 'any' } },
      schema: {
        summary: 'Sign out',
        description: 'Ends the console session at once (on every node) and clears its cookie.',
        tags,
        response: { 204: Type.Null({ description: 'Signed out.' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (request.consoleSession !== null) await store.deleteConsoleSession(request.consoleSession.id);
      reply.header('set-cookie', clearedSessionCookie(overTls(request)));
      return reply.status(204).send(null);
    },
  );
}

function sessionDto(
  request: FastifyRequest,
  principal: Principal,
  csrfToken: string | null,
  expiresAt: Date | null,
  policy: SessionPolicy,
): SessionDto {
  const address = request.socket.remoteAddress;
  return {
    user: toTokenDto(principal),
    csrfToken,
    expiresAt: expiresAt?.toISOString() ?? null,
    idleTimeoutSeconds: Math.floor(policy.idleTimeoutMs / 1000),
    // As the lockout guard sees it: IPv4-mapped addresses as IPv4.
    clientAddress: address === undefined ? null : address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, ''),
  };
}
