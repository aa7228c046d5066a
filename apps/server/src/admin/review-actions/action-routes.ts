/**
 * The one-click action pages (docs/architecture/review.md#one-click-actions) on the admin listener:
 * `GET`/`HEAD /review/{tenantId}/{observedId}/{action}/{token}` only show what the link would do and
 * a confirmation form (mail scanners open links, so a GET changes nothing); the `POST` of that form
 * acts, once. The token is the only credential: 256 random bits, looked up by its SHA-256, bound to
 * the tenant, the address and the action of the URL.
 */
import { isIpGateError } from '@ipgate/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACTION_TOKEN_PREFIX } from '../../notify/review-links.js';
import { hashSecret, looksLikeSecret, TOKEN_SECRET_PREFIX } from '../../secrets/secrets.js';
import type { RulesEngine } from '../../snapshot/rules-engine.js';
import { type ActionTokenRecord, REVIEW_ACTIONS, type ReviewAction } from '../../store/notification-types.js';
import type { Principal, Store } from '../../store/store.js';
import { actorOf, roleAllows } from '../auth/access.js';
import { sessionCookieOf } from '../console/session-cookie.js';
import { sessionPolicy } from '../console/session-policy.js';
import { type Html, p, raw, sendPage, text } from './action-page.js';

export interface ReviewActionOptions {
  readonly store: Store;
  readonly engine: RulesEngine;
  /** Where links point (`--public-url`); a POST from another origin is refused. */
  readonly publicUrl: () => string;
  /**
   * Require an admin token (editor of the tenant) on the confirmation form for the two actions that
   * weaken security: authorize and stop reviewing. (Console sign-in takes its place once console
   * sessions exist.)
   */
  readonly requireSignIn: boolean;
}

interface Params {
  tenantId: string;
  observedId: string;
  action: string;
  token: string;
}

const LABEL: Record<ReviewAction, string> = {
  authorize: 'Authorize this address',
  'reject-and-rotate': "Don't authorize it, and rotate the key",
  'stop-reviewing': 'Stop reviewing new addresses',
};

type Inspection =
  | { readonly state: 'invalid' }
  | {
      readonly state: 'used' | 'expired' | 'valid';
      readonly record: ActionTokenRecord;
      readonly hash: string;
    };

const WEAKENING: readonly ReviewAction[] = ['authorize', 'stop-reviewing'];
const PATH = '/review/:tenantId/:observedId/:action/:token';

/**
 * Registers the pages, in their own scope (a form body parser, token-free request logs).
 */
export function registerReviewActionRoutes(app: FastifyInstance, options: ReviewActionOptions): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const routeOptions = {
      config: { access: { role: 'public' as const, scope: 'any' as const } },
      // The URL carries the token: request logs name the route, never the path.
      logSerializers: { req: (req: FastifyRequest) => ({ method: req.method, url: '/review/…' }) },
      schema: { hide: true },
    };
    scope.get(PATH, routeOptions, (request, reply) =>
      show(options, request as FastifyRequest<{ Params: Params }>, reply),
    );
    scope.post(PATH, routeOptions, (request, reply) =>
      act(options, request as FastifyRequest<{ Params: Params; Body: unknown }>, reply),
    );
  });
}

async function inspect(store: Store, params: Params, now: Date): Promise<Inspection> {
  if (!(REVIEW_ACTIONS as readonly string[]).includes(params.action)) return { state: 'invalid' };
  if (!looksLikeSecret(params.token, ACTION_TOKEN_PREFIX)) return { state: 'invalid' };
  const hash = hashSecret(params.token);
  const record = await store.notifications.findActionToken(hash);
  // Another tenant's token, another address's or another action's looks exactly like a made-up one.
  if (
    record === undefined ||
    record.tenantId !== params.tenantId ||
    record.observedId !== params.observedId ||
    record.action !== params.action
  )
    return { state: 'invalid' };
  if (record.usedAt !== null) return { state: 'used', record, hash };
  if (record.expiresAt.getTime() <= now.getTime()) return { state: 'expired', record, hash };
  return { state: 'valid', record, hash };
}

function invalidPage(reply: FastifyReply): FastifyReply {
  return sendPage(reply, 404, 'This link is not valid', [
    p('The link is incomplete, was changed, or does not belong to this address. Nothing was changed.'),
    p('Copy the whole link from the message, or review the address in the management API.'),
  ]);
}

function expiredPage(reply: FastifyReply, record: ActionTokenRecord): FastifyReply {
  return sendPage(reply, 410, 'This link has expired', [
    p(`It worked until ${record.expiresAt.toISOString()}. Nothing was changed.`),
    p('Review the address in the management API, or wait for the next message about it.'),
  ]);
}

function usedPage(reply: FastifyReply, record: ActionTokenRecord, status: number): FastifyReply {
  return sendPage(reply, status, 'Already done', [
    p(
      `This link was used at ${record.usedAt?.toISOString() ?? 'an earlier time'}: "${LABEL[record.action]}" is already done. Nothing else was changed.`,
    ),
  ]);
}

async function describe(store: Store, record: ActionTokenRecord): Promise<Html[]> {
  try {
    const observed = await store.getObservedIp(record.tenantId, record.observedId);
    const [tenant, key] = await Promise.all([
      store.getTenant(record.tenantId),
      store.getKey(record.tenantId, observed.keyId),
    ]);
    return [
      raw(
        `<p>Address <code>${text(observed.address).html}</code> called tenant <b>${text(tenant.name).html}</b> with key <b>${text(key.name).html}</b> (<code>${text(key.id).html}</code>): ${observed.count} calls, last at ${text(observed.lastSeen.toISOString()).html}, now <b>${text(observed.status).html}</b>.</p>`,
      ),
    ];
  } catch (e) {
    if (isIpGateError(e) && e.code === 'IPG_NOT_FOUND')
      return [p('The address or its key no longer exists.')];
    throw e;
  }
}

const CONSEQUENCE: Record<ReviewAction, string> = {
  authorize: "It joins the tenant's IP list; its next call passes.",
  'reject-and-rotate':
    'It stays denied, and the key it used gets a new secret: the current secret stops working at once, everywhere. The new secret is shown once, on the next page.',
  'stop-reviewing':
    "The tenant's IP restriction is switched off (mode off): every address may use the tenant's keys, and new addresses are no longer reviewed.",
};

async function show(
  options: ReviewActionOptions,
  request: FastifyRequest<{ Params: Params }>,
  reply: FastifyReply,
) {
  const found = await inspect(options.store, request.params, new Date());
  if (found.state === 'invalid') return invalidPage(reply);
  if (found.state === 'expired') return expiredPage(reply, found.record);
  if (found.state === 'used') return usedPage(reply, found.record, 200);
  const action = found.record.action;
  const signIn = options.requireSignIn && WEAKENING.includes(action);
  return sendPage(reply, 200, `${LABEL[action]}?`, [
    ...(await describe(options.store, found.record)),
    p(CONSEQUENCE[action]),
    raw(
      `<form method="post">${
        signIn
          ? '<p>This needs an editor of this tenant: be signed in to the console (/console/) in this browser, or enter an editor’s admin token.</p><p><label>Admin token: <input type="password" name="adminToken" autocomplete="off"></label></p>'
          : ''
      }<button type="submit">${text(LABEL[action]).html}</button></form>`,
    ),
    p('Opening this page changed nothing. The link works once.'),
  ]);
}

/**
 * Who confirms: the console user of this browser's session (its cookie is `SameSite=Strict`, so it
 * comes with the POST of this same-origin page, not with the cross-site click from the email), or
 * the holder of the admin token typed into the form. The action token in the URL already protects
 * the POST against cross-site forgery; this adds who may use it.
 */
async function signedIn(store: Store, request: FastifyRequest): Promise<Principal | undefined> {
  const cookie = sessionCookieOf(request);
  if (cookie !== undefined) {
    const session = await store.findConsoleSession(cookie);
    const policy = sessionPolicy();
    const now = policy.now();
    if (
      session !== undefined &&
      now < session.expiresAt.getTime() &&
      now - session.lastSeenAt.getTime() < policy.idleTimeoutMs
    )
      return session.principal;
  }
  const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as {
    adminToken?: unknown;
  };
  const secret = body.adminToken;
  return looksLikeSecret(secret, TOKEN_SECRET_PREFIX) ? store.findTokenBySecret(secret) : undefined;
}

/** A POST must come from the confirmation page: same origin (or none, or `null` under no-referrer). */
function crossSite(request: FastifyRequest, publicUrl: string): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (origin === undefined || origin === 'null') return false;
  const allowed = new Set([new URL(publicUrl).origin]);
  const host = request.headers.host;
  if (host !== undefined) allowed.add(`${request.protocol}://${host}`);
  return !allowed.has(origin);
}

async function act(
  options: ReviewActionOptions,
  request: FastifyRequest<{ Params: Params; Body: unknown }>,
  reply: FastifyReply,
) {
  const { store } = options;
  if (crossSite(request, options.publicUrl()))
    return sendPage(reply, 403, 'Not from this page', [
      p(
        'The request did not come from the confirmation page. Nothing was changed; open the link from the message again.',
      ),
    ]);
  const found = await inspect(store, request.params, new Date());
  if (found.state === 'invalid') return invalidPage(reply);
  if (found.state === 'expired') return expiredPage(reply, found.record);
  if (found.state === 'used') return usedPage(reply, found.record, 200);
  const { record, hash } = found;
  let actor = record.recipient;
  if (options.requireSignIn && WEAKENING.includes(record.action)) {
    const principal = await signedIn(store, request);
    if (
      principal === undefined ||
      (principal.tenantId !== null && principal.tenantId !== record.tenantId) ||
      !roleAllows(principal.role, 'editor')
    )
      return sendPage(reply, 401, 'Sign-in needed', [
        p(
          'This action needs an editor of this tenant: sign in to the console (/console/) in this browser, or enter an editor’s admin token. Nothing was changed; go back and try again.',
        ),
      ]);
    actor = `${actorOf(principal)} via ${record.recipient}`;
  }
  if (!(await store.notifications.useActionToken(hash, new Date()))) {
    const again = await store.notifications.findActionToken(hash);
    return again === undefined ? invalidPage(reply) : usedPage(reply, again, 200);
  }
  let done: Html[];
  try {
    done = await perform(options, record, actor);
  } catch (e) {
    // The action did not happen: give the link back so the owner can try again.
    await store.notifications.releaseActionToken(hash);
    if (isIpGateError(e) && e.status < 500)
      return sendPage(reply, e.status, 'Could not do that', [
        p(e.message),
        p('Nothing was changed; the link still works.'),
      ]);
    request.log.error({ err: e }, 'one-click review action failed');
    return sendPage(reply, 500, 'Something went wrong', [
      p(`Nothing was changed; try the link again later (request ${request.id}).`),
    ]);
  }
  // The action is committed: its page must be shown whatever follows (a rotated secret is shown only
  // on it), and the link stays used. A refresh that fails only delays this node, which catches up
  // from its notices or its poll like any other.
  await options.engine.refresh().catch((e: unknown) => {
    request.log.warn({ err: e }, 'one-click review action done; this node refreshes its rules later');
  });
  return sendPage(reply, 200, 'Done', done);
}

async function perform(
  options: ReviewActionOptions,
  record: ActionTokenRecord,
  actor: string,
): Promise<Html[]> {
  const { store } = options;
  const { tenantId, observedId } = record;
  if (record.action === 'authorize') {
    const { observed, entry } = await store.authorizeObservedIp(
      tenantId,
      observedId,
      { reason: 'one-click link' },
      { actor },
    );
    return [
      raw(
        `<p><code>${text(observed.address).html}</code> is authorized${entry === null ? ' (the list already covered it)' : ' and on the IP list'}. Its next call passes.</p>`,
      ),
    ];
  }
  if (record.action === 'reject-and-rotate') {
    const { observed, rotated } = await store.rejectObservedIp(
      tenantId,
      observedId,
      { rotateKey: true, reason: 'one-click link' },
      { actor },
    );
    return [
      raw(
        `<p><code>${text(observed.address).html}</code> is rejected, and key <b>${text(rotated?.key.name ?? '').html}</b> has a new secret. The old secret no longer works.</p>`,
      ),
      p('The new secret, shown this once (copy it now; only its hash is kept):'),
      raw(`<p class="secret"><code>${text(rotated?.secret ?? '').html}</code></p>`),
    ];
  }
  await store.updateTenant(tenantId, { ipMode: 'off' }, { actor });
  return [
    p(
      'Review is stopped: the IP restriction of this tenant is off, and every address may use its keys. Switch it back on in the management API (PATCH …/ip-restriction).',
    ),
  ];
}
