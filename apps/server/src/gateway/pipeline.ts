import {
  type ClientAddressStrategy,
  type Decision,
  type DecisionReason,
  denyClientAddress,
  type GatewayReason,
  type HeaderValue,
  type IpAddress,
  isBrowserKey,
  type MatchedRule,
  originOf,
  parseHostHeader,
  type RequestOrigin,
} from '@ipgate/core';
import type { Assessment } from '../review/assessment.js';
import type { AutoReview } from '../review/auto-review.js';
import { hashSecret } from '../secrets/secrets.js';
import { pathAmbiguity, windowsPath } from '../snapshot/ambiguous-path.js';
import { decideOnSnapshot } from '../snapshot/decide-on-snapshot.js';
import { lenientPath, parseRequestPath, type RequestPath } from '../snapshot/request-path.js';
import type { CompiledApi, CompiledKey, CompiledTenant, Snapshot } from '../snapshot/snapshot.js';
import { isPreflight, originAllowedBySomeKey } from './cors.js';
import { presentedKey } from './presented-key.js';

/** The stages that decide (docs/architecture/pipeline.md), in order, and `complete` when all passed. */
export type PipelineStage =
  | 'client-address'
  | 'route'
  | 'api-allowlist'
  | 'authentication'
  | 'tenant-restriction'
  | 'key-restriction'
  | 'complete';

/**
 * Core's decision reasons plus those of the stages the gateway decides itself (route, authentication,
 * CORS preflights), each in core's catalogue and docs/errors.md.
 */
export type PipelineReason =
  | DecisionReason
  | Extract<
      GatewayReason,
      | 'path-invalid'
      | 'host-invalid'
      | 'no-route'
      | 'key-missing'
      | 'key-ambiguous'
      | 'key-unknown'
      | 'cors-preflight'
      | 'cors-origin-not-allowed'
    >;

/** A request as the pipeline reads it: no sockets, no server objects, so a decision endpoint can reuse it. */
export interface PipelineRequest {
  readonly method: string;
  /** The request target as received (`/v1/users?x=1`). */
  readonly target: string | undefined;
  /** Header names in lower case (node's `IncomingMessage.headers`); `host` is read from here. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** The socket's remote address; undefined when the connection is gone. */
  readonly peer: string | undefined;
}

/**
 * What the pipeline decided and everything it learned on the way, for the response, the forwarder
 * and the records.
 */
export interface PipelineOutcome {
  readonly allow: boolean;
  /**
   * True when the request passes only because what denied it is report-only (an API or a tenant
   * with `enforce: false`): `allow` is true, and `stage`, `reason`, `detail` and `decision` say what
   * would have denied it (docs/architecture/pipeline.md#report-only).
   */
  readonly wouldDeny: boolean;
  /** 200 when allowed; else 400 (bad target), 401, 403 or 404. */
  readonly status: 200 | 400 | 401 | 403 | 404;
  readonly stage: PipelineStage;
  readonly reason: PipelineReason;
  /** For operators only (the offending forwarded element, a broken allowlist). */
  readonly detail: string | undefined;
  /** The rules that let the request through, in stage order. */
  readonly matched: readonly MatchedRule[];
  /** Core's decision, when stage 3 was reached. */
  readonly decision: Decision | undefined;
  readonly client: IpAddress | undefined;
  /** Where the client address came from. */
  readonly clientVia: 'socket' | 'header' | undefined;
  /** The request carried `X-Forwarded-For` / `Forwarded` (whether or not they were read). */
  readonly sawForwardingHeaders: boolean;
  readonly path: RequestPath | undefined;
  /** The host routed on, strict and lower case (`parseHostHeader`); undefined when none was sent. */
  readonly host: string | undefined;
  /** The browser origin (or server) the decision read; undefined before routing. */
  readonly origin: RequestOrigin | undefined;
  readonly api: CompiledApi | undefined;
  readonly key: CompiledKey | undefined;
  /** The key's tenant, when a key was authenticated (whose list `matched` may name). */
  readonly tenant: CompiledTenant | undefined;
  /** True when the tenant restriction denied an unlisted address: record it as pending. */
  readonly reviewable: boolean;
  /**
   * How to record the (tenant, key, address) observation: `authorized` when the tenant stage let the
   * address through, `pending` when it denied it as unlisted, undefined when no key was authenticated.
   */
  readonly observation: 'authorized' | 'pending' | undefined;
  /**
   * The assessment of an unlisted address of a tenant in `auto` mode — `trusted` ones passed the
   * tenant stage (their observation stays `pending` until the store lists them) — or, in `manual`,
   * the same assessment as advice for the reviewer, which admits nothing.
   */
  readonly assessment: Assessment | undefined;
  /** The request is a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`). */
  readonly preflight: boolean;
  /** The `Origin` to name in the CORS headers: set when a key's domain rules let a browser call through. */
  readonly corsOrigin: string | undefined;
}

/**
 * Runs stages 1–6 of docs/architecture/pipeline.md on one request against one snapshot: client address (403),
 * route (404; 400 for a target routing cannot trust), API allowlist (403, before authentication),
 * authentication (401), tenant restriction by mode (403), key restrictions by request kind (403).
 * Pure apart from hashing the presented secret once; never touches the store.
 *
 * @example
 * const outcome = runPipeline(engine.current, socketPeer(), {
 *   method: req.method ?? 'GET',
 *   target: req.url,
 *   headers: req.headers,
 *   peer: req.socket.remoteAddress,
 * });
 * if (!outcome.allow) return deny(outcome.status);
 */
export function runPipeline(
  snapshot: Snapshot,
  clientAddress: ClientAddressStrategy,
  request: PipelineRequest,
  review?: AutoReview,
): PipelineOutcome {
  const resolved = clientAddress.resolve(request.peer, request.headers);
  const facts = new Facts(resolved.sawForwardingHeaders);
  if (!resolved.ok) {
    const decision = denyClientAddress(resolved.reason, resolved.detail);
    return facts.denied(403, 'client-address', resolved.reason, resolved.detail, decision);
  }
  facts.client = resolved.address;
  facts.clientVia = resolved.via;

  const path = parseRequestPath(request.target);
  if (path === undefined) return facts.denied(400, 'route', 'path-invalid');
  facts.path = path;
  // `/admin%00/x`, `%u002e`, `%c0%ae`: escapes some upstream reads as structure routing never saw.
  const ambiguity = pathAmbiguity(path.raw);
  if (ambiguity !== undefined) return facts.denied(400, 'route', 'path-ambiguous', ambiguity);
  // `secure.example,x`, `evil@secure.example`, two Host lines: routing would read no host (a host-less
  // API) where the upstream's framework reads `secure.example`. Only a strict host is routed on.
  const host = hostOf(request.headers['host']);
  if (host === null) return facts.denied(400, 'route', 'host-invalid');
  facts.host = host;
  const routeHost = host;
  const api = snapshot.routes.find(routeHost, path.normalized);
  // `/%2fadmin`, `/admin;x/users`, `/admin\users`: if the upstream's reading of the path belongs to another
  // API than routing's, the caller would pass one API's rules and reach the other's resources.
  const lenient = lenientPath(path.normalized);
  if (lenient !== path.normalized && snapshot.routes.find(routeHost, lenient) !== api) {
    return facts.denied(400, 'route', 'path-invalid');
  }
  // `/admin.`, `/admin%20/x`, `/admin%2e`: Windows servers drop a segment's trailing dots and spaces.
  const windows = windowsPath(lenient);
  if (windows !== lenient && snapshot.routes.find(routeHost, windows) !== api) {
    return facts.denied(400, 'route', 'path-ambiguous', 'a segment ends in a dot or a space');
  }
  if (api === undefined) return facts.denied(404, 'route', 'no-route');
  facts.api = api;

  const origin = originOf({
    origin: single(request.headers['origin']),
    referer: single(request.headers['referer']),
  });
  facts.origin = origin;
  const client = resolved.address;
  const before = decideOnSnapshot({ client, origin, api });
  // Report-only: the denial is kept to be recorded, and the request goes on to the later stages,
  // which decide as they would (authentication is never report-only).
  let wouldDeny: Decision | undefined;
  if (!before.allow) {
    if (api.enforce) return facts.decided(before, undefined);
    wouldDeny = before;
  }

  // A CORS preflight carries no key: the browser asks whether its page's origin may send one. The answer
  // is yes when some key's domain rules list the origin; the call that follows is judged by its key.
  if (isPreflight(request.method, request.headers)) {
    const allowed = originAllowedBySomeKey(snapshot, request.headers['origin'] as string);
    facts.preflight = true;
    return allowed
      ? facts.outcome(
          true,
          200,
          'complete',
          'cors-preflight',
          undefined,
          before.matched,
          undefined,
          false,
          undefined,
        )
      : facts.denied(403, 'key-restriction', 'cors-origin-not-allowed', undefined, undefined, before.matched);
  }

  const presented = presentedKey(request.headers, api.authHeader);
  if (!presented.ok) {
    const reason = presented.problem === 'missing' ? 'key-missing' : 'key-ambiguous';
    return facts.denied(401, 'authentication', reason, undefined, undefined, before.matched);
  }
  const key = snapshot.keysByHash.get(hashSecret(presented.secret));
  const tenant = key === undefined ? undefined : snapshot.tenants.get(key.tenantId);
  if (key === undefined || tenant === undefined) {
    if (key === undefined) review?.authFailure(client);
    return facts.denied(401, 'authentication', 'key-unknown', undefined, undefined, before.matched);
  }
  facts.key = key;
  facts.tenant = tenant;

  // Without the allowlist when it would have denied already: the later stages are decided on their own.
  const apiLeft = wouldDeny === undefined ? api : undefined;
  let decision = decideOnSnapshot({ client, origin, api: apiLeft, tenant, key });
  let trusted = false;
  if (decision.reviewable && review !== undefined && tenant.restriction.mode === 'manual') {
    // Advice for the person who reviews it: stored with the pending observation from its first
    // write and shown in the owner's message; the decision stays the list's.
    facts.assessment = review.advise(tenant, key.id, client);
  } else if (decision.reviewable && review !== undefined && tenant.restriction.mode === 'auto') {
    // docs/architecture/review.md#auto-on-the-request-path: assessed in memory; a trusted address
    // passes the tenant stage now and is listed in the background.
    const assessment = review.decide(tenant, key.id, client);
    facts.assessment = assessment;
    if (assessment.verdict === 'trusted') {
      trusted = true;
      decision = decideOnSnapshot({ client, origin, api: apiLeft, key });
    }
  }
  // A browser key skips the tenant's address list, so its callers' addresses are not observations.
  const passedTenant =
    !isBrowserKey(key.restrictions) &&
    (decision.stage === 'complete' || decision.stage === 'key-restriction');
  // In report-only an unlisted address is still recorded as pending, so it can be reviewed before
  // enforcing; one the auto mode trusted stays pending until the store lists it.
  const observation = decision.reviewable || trusted ? 'pending' : passedTenant ? 'authorized' : undefined;
  if (!decision.allow) {
    if (tenant.enforce) return facts.decided(decision, observation);
    wouldDeny ??= decision;
  }
  if (decision.allow && origin.kind === 'browser' && key.restrictions.domains.enabled) {
    facts.corsOrigin = single(request.headers['origin']);
  }
  if (wouldDeny !== undefined) return facts.wouldDeny(wouldDeny, observation);
  return facts.decided(decision, observation);
}

/**
 * What the pipeline has learned so far, turned into the outcome by one constructor call.
 *
 * Why not object spreads per stage (`{ ...known, path }`, `{ ...routed, key }`): this runs on every
 * request, and each spread copied a 14-field object — ~3 % of a worker's CPU under load. Here the
 * facts are set as they are learned and every outcome has the same shape, made in one place.
 */
class Facts {
  client: IpAddress | undefined = undefined;
  clientVia: 'socket' | 'header' | undefined = undefined;
  path: RequestPath | undefined = undefined;
  host: string | undefined = undefined;
  origin: RequestOrigin | undefined = undefined;
  api: CompiledApi | undefined = undefined;
  key: CompiledKey | undefined = undefined;
  assessment: Assessment | undefined = undefined;
  preflight = false;
  corsOrigin: string | undefined = undefined;
  tenant: CompiledTenant | undefined = undefined;

  constructor(readonly sawForwardingHeaders: boolean) {}

  denied(
    status: 400 | 401 | 403 | 404,
    stage: PipelineStage,
    reason: PipelineReason,
    detail?: string,
    decision?: Decision,
    matched: readonly MatchedRule[] = [],
  ): PipelineOutcome {
    return this.outcome(false, status, stage, reason, detail, matched, decision, false, undefined);
  }

  /** Passes a request that `decision` denied, because what denied it is report-only. */
  wouldDeny(decision: Decision, observation: PipelineOutcome['observation']): PipelineOutcome {
    return this.outcome(
      true,
      200,
      decision.stage,
      decision.reason,
      decision.detail,
      decision.matched,
      decision,
      decision.reviewable,
      observation,
      true,
    );
  }

  decided(decision: Decision, observation: PipelineOutcome['observation']): PipelineOutcome {
    return this.outcome(
      decision.allow,
      decision.status,
      decision.stage,
      decision.reason,
      decision.detail,
      decision.matched,
      decision,
      decision.reviewable,
      observation,
    );
  }

  outcome(
    allow: boolean,
    status: PipelineOutcome['status'],
    stage: PipelineStage,
    reason: PipelineReason,
    detail: string | undefined,
    matched: readonly MatchedRule[],
    decision: Decision | undefined,
    reviewable: boolean,
    observation: PipelineOutcome['observation'],
    wouldDeny = false,
  ): PipelineOutcome {
    return {
      allow,
      wouldDeny,
      status,
      stage,
      reason,
      detail,
      matched,
      decision,
      client: this.client,
      clientVia: this.clientVia,
      sawForwardingHeaders: this.sawForwardingHeaders,
      path: this.path,
      host: this.host,
      origin: this.origin,
      api: this.api,
      key: this.key,
      tenant: this.tenant,
      reviewable,
      observation,
      assessment: this.assessment,
      preflight: this.preflight,
      corsOrigin: this.corsOrigin,
    };
  }
}

/** The strict host text, undefined for none (or an empty header), null for one not to route on. */
function hostOf(value: HeaderValue): string | undefined | null {
  if (value === undefined) return undefined;
  // Two Host lines (the gateway lists every copy): two layers could each read another one.
  if (typeof value !== 'string')
    return value.length === 1 ? hostOf(value[0]) : value.length === 0 ? undefined : null;
  if (value === lastHostValue) return lastHost;
  const parsed = parseHostHeader(value);
  const host = parsed === null ? null : parsed?.text;
  lastHostValue = value;
  lastHost = host;
  return host;
}

// The last Host header read and what it gave (strict text, undefined for none, null for one not to
// route on): requests name the same host one after another, and the reading is a pure function of
// the text, so an equal text gets the same answer without parsing it again.
let lastHostValue: string | undefined;
let lastHost: string | undefined | null;

function single(value: HeaderValue): string | undefined {
  // Node joins repeated unknown headers; a repeated Origin arrives as one odd string and fails to parse.
  return typeof value === 'string' ? value : value === undefined ? undefined : value.join(', ');
}

/**
 * Why a new observation row has its status: the denial reason of a pending address; for an address
 * the `auto` mode trusted (recorded pending until the store lists it), that it was not listed.
 */
export function observationReason(outcome: PipelineOutcome): string | undefined {
  if (outcome.observation !== 'pending') return undefined;
  return outcome.allow ? 'tenant-ip-not-listed' : outcome.reason;
}
