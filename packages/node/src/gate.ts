import { randomUUID } from 'node:crypto';
import {
  type ClientAddressConfig,
  type ClientAddressStrategy,
  clientAddressStrategy,
  configError,
  type Decision,
  denyClientAddress,
  IpAddress,
  IpGateError,
  IpSet,
  type IpSetSource,
  type RequestHeaders,
  socketPeer,
} from '@ipgate/core';
import { type DenialOptions, denialRenderer } from './denial.js';
import { compileKeyRules, type KeysOption } from './key-rules.js';
import { type GateRules, listRules } from './rules.js';
import { isRulesSource, type RulesSource } from './rules-source.js';

/**
 * The rules a gate enforces: entries as written (`'203.0.113.0/24'`, `{ value, name }`), a prebuilt
 * `IpSet`, or a source whose rules change while the gate runs ({@link fileRules}, {@link liveRules}).
 * A list allows only what it names; an empty list denies everyone.
 *
 * @example
 * const fromCode: AllowOption = ['203.0.113.0/24', { value: '2001:db8::/48', name: 'office v6' }];
 * const fromFile: AllowOption = fileRules('/etc/myapp/allow.txt');
 */
export type AllowOption = Iterable<IpSetSource> | IpSet | RulesSource;

/**
 * What the gate tells `onDecision` about every request, allowed or denied.
 *
 * @example
 * const options: GateOptions = {
 *   allow: ['203.0.113.0/24'],
 *   onDecision: (e) => {
 *     if (!e.allow) console.warn({ requestId: e.requestId, reason: e.decision.reason, client: e.client?.toString() });
 *   },
 * };
 */
export interface DecisionEvent {
  readonly allow: boolean;
  readonly requestId: string;
  readonly decision: Decision;
  /** The resolved client address; undefined when it could not be resolved (and the request was denied). */
  readonly client: IpAddress | undefined;
  /** The socket peer as the runtime reported it. */
  readonly remoteAddress: string | undefined;
  /** The rules' version (live rules) or undefined. */
  readonly rulesVersion: number | undefined;
}

/**
 * Options shared by every adapter (`@ipgate/express`, `@ipgate/fastify`, `@ipgate/hono`, `httpGate`).
 *
 * @example
 * const options: GateOptions = {
 *   allow: ['203.0.113.0/24'],
 *   clientAddress: { mode: 'trusted-proxies', trusted: ['10.0.0.0/8'] },
 *   keys: { keyOf: (r) => r.headers['x-api-key'] as string | undefined, rules: { key_1: { ips: ['203.0.113.7'] } } },
 *   onDecision: (e) => console.log(e.allow ? 'allowed' : 'denied', e.requestId),
 * };
 */
export interface GateOptions {
  readonly allow: AllowOption;
  /**
   * How to find the client address. Default: the socket peer, with every forwarding header ignored,
   * because anyone can send `X-Forwarded-For`. Behind a proxy, name the proxies.
   */
  readonly clientAddress?: ClientAddressConfig | ClientAddressStrategy | undefined;
  /**
   * Per-key rules: `keyOf` tells which key (API key, customer, token…) a request uses, and the key's
   * `ips` restrict its server callers, its `domains` its browser callers (see {@link KeysOption}).
   * Checked after `allow` let the request through.
   */
  readonly keys?: KeysOption | undefined;
  readonly denial?: DenialOptions | undefined;
  /**
   * Called for every request (logging, metrics). It runs after the decision is made; if it throws,
   * the decision stands and the error goes to `onHookError`.
   */
  readonly onDecision?: ((event: DecisionEvent) => void) | undefined;
  /** Where an exception from `onDecision` goes. Default: a process warning. */
  readonly onHookError?: ((error: unknown) => void) | undefined;
  /** Makes the id a denial carries and `onDecision` logs. Default: a random UUID. */
  readonly requestId?: ((request: GateRequest) => string) | undefined;
}

/**
 * What the gate needs of a request: the socket peer and the headers (names in lower case, as
 * node's `IncomingMessage.headers` has them).
 *
 * @example
 * const gate = createGate({ allow: ['203.0.113.0/24'] });
 * gate.check({ remoteAddress: req.socket.remoteAddress, headers: req.headers, connection: req.socket });
 */
export interface GateRequest {
  readonly remoteAddress: string | undefined;
  readonly headers: RequestHeaders;
  /**
   * The connection the request came on (node's `req.socket`). With the default client address, the
   * socket peer, every request on a keep-alive connection gets the same decision until the rules
   * change, so the gate decides once per connection and reuses it (a new request id each time).
   * Leave it out to decide every request from scratch.
   */
  readonly connection?: object | undefined;
}

/**
 * The gate's answer. On a denial, send `status`, `headers` and `body` as they are.
 *
 * @example
 * const gate = createGate({ allow: ['203.0.113.0/24'] });
 * const r = gate.check({ remoteAddress: req.socket.remoteAddress, headers: req.headers });
 * if (!r.allow) { res.writeHead(r.status, r.headers); res.end(r.body); }
 */
export interface GateResult {
  readonly allow: boolean;
  /** 200 when allowed, else the denial status (default 403). */
  readonly status: number;
  /** The encoded denial body; undefined when allowed. */
  readonly body: string | undefined;
  /** Response headers for the denial; empty when allowed. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The request's id. On an allowed request with the default id and no `onDecision` hook, nothing
   * needs it on the request path, so it is made when first read (then it stays the same).
   */
  readonly requestId: string;
  readonly decision: Decision;
  readonly client: IpAddress | undefined;
}

/**
 * A compiled gate: decides requests, and owns its rules source.
 *
 * @example
 * const gate = createGate({ allow: ['127.0.0.1'] });
 * gate.check({ remoteAddress: '127.0.0.1', headers: {} }).allow; // true
 */
export interface Gate {
  check(request: GateRequest): GateResult;
  /** The rules in force now (undefined while a live source has none: every request is denied). */
  rules(): GateRules | undefined;
  readonly clientAddress: ClientAddressStrategy;
  /** Closes the rules source (stops watching a file or polling a server). */
  close(): Promise<void>;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Builds a framework-neutral gate. Checks every option now and throws `IpGateError`
 * (`IPG_CONFIG_INVALID`, or the entry's code for a bad entry) rather than failing on the first request.
 *
 * Fails closed: an unresolvable client address, a source with no rules yet, a `keys.keyOf` that
 * throws, or an exception while deciding all deny; an exception in `onDecision` never turns a
 * denial into an allow.
 *
 * @example
 * const gate = createGate({ allow: ['203.0.113.0/24'] });
 * const result = gate.check({ remoteAddress: req.socket.remoteAddress, headers: req.headers });
 * if (!result.allow) { res.writeHead(result.status, result.headers); res.end(result.body); return; }
 */
export function createGate(options: GateOptions): Gate {
  if (typeof options !== 'object' || options === null) {
    throw configError(
      'options',
      'The gate options must be an object with at least allow.',
      "Write e.g. { allow: ['203.0.113.0/24'] }.",
    );
  }
  const source = toSource(options.allow);
  const strategy = toStrategy(options.clientAddress);
  const keys = compileKeyRules(options.keys);
  const render = denialRenderer(options.denial);
  const onDecision = options.onDecision;
  const onHookError = options.onHookError ?? defaultHookError;
  const makeId = options.requestId ?? (() => randomUUID());
  // With the default id and no hook, an allowed request needs no id unless someone reads it.
  const lazyAllowedId = options.requestId === undefined && onDecision === undefined;
  // The default strategy (the socket peer) only needs the peer; core's socketPeer() also scans 14
  // forwarding header names to report `sawForwardingHeaders`, which the gate never uses.
  const peerOnly = options.clientAddress === undefined;
  // Decisions per connection, for the socket-peer strategy only: a TCP connection's peer cannot
  // change, so until the rules are swapped its decision cannot either. Weak, so a closed
  // connection's entry goes with its socket.
  const byConnection = new WeakMap<object, Outcome>();

  function decideRequest(request: GateRequest, rules: GateRules | undefined): Outcome {
    if (peerOnly) {
      const peer = request.remoteAddress;
      const parsed = peer === undefined ? undefined : IpAddress.tryParse(peer);
      // Anything else goes through the strategy below, which words the denial's detail.
      if (parsed !== undefined) {
        const client = parsed.unmap();
        return { decision: rules === undefined ? NO_RULES : rules.decide(client), client, rules, peer };
      }
    }
    const resolved = strategy.resolve(request.remoteAddress, request.headers);
    if (!resolved.ok)
      return {
        decision: denyClientAddress(resolved.reason, resolved.detail),
        client: undefined,
        rules: undefined,
        peer: undefined,
      };
    if (rules === undefined) return { decision: NO_RULES, client: resolved.address, rules, peer: undefined };
    return { decision: rules.decide(resolved.address), client: resolved.address, rules, peer: undefined };
  }

  /** The connection's cached outcome when it still holds, else a fresh one (cached when it may be). */
  function outcomeFor(request: GateRequest): Outcome {
    const rules = source.current();
    const connection = request.connection;
    if (!peerOnly || connection === undefined || rules === undefined) return decideRequest(request, rules);
    const cached = byConnection.get(connection);
    // Same rules object (sources swap whole objects) and the same peer text: the same decision.
    if (cached !== undefined && cached.rules === rules && cached.peer === request.remoteAddress)
      return cached;
    const outcome = decideRequest(request, rules);
    if (outcome.peer !== undefined) byConnection.set(connection, freezeOutcome(outcome));
    return outcome;
  }

  return {
    clientAddress: strategy,
    rules: () => source.current(),
    close: async () => {
      await source.close();
    },
    check(request) {
      let outcome: Outcome;
      try {
        outcome = outcomeFor(request);
        // Per request, after the (per-connection) network decision: the key and the Origin may
        // change from one request to the next on a keep-alive connection.
        if (keys !== undefined && outcome.decision.allow && outcome.client !== undefined) {
          const decision = keys.decide(request, outcome.client, outcome.decision);
          if (decision !== outcome.decision) outcome = { ...outcome, decision, peer: undefined };
        }
      } catch (error) {
        // A bug or a throwing custom strategy must not open the gate.
        outcome = {
          decision: denyClientAddress('client-address-invalid', `error while deciding: ${String(error)}`),
          client: undefined,
          rules: undefined,
          peer: undefined,
        };
      }
      const { decision, client } = outcome;
      if (decision.allow && lazyAllowedId) return new AllowedResult(decision, client);
      let requestId: string;
      try {
        requestId = makeId(request);
      } catch {
        requestId = randomUUID();
      }
      if (onDecision !== undefined) {
        try {
          onDecision({
            allow: decision.allow,
            requestId,
            decision,
            client,
            remoteAddress: request.remoteAddress,
            rulesVersion: outcome.rules?.version,
          });
        } catch (error) {
          safeReport(onHookError, error);
        }
      }
      if (decision.allow) {
        return {
          allow: true,
          status: 200,
          body: undefined,
          headers: NO_HEADERS,
          requestId,
          decision,
          client,
        };
      }
      let denial: ReturnType<typeof render>;
      try {
        denial = render(requestId, decision);
      } catch (error) {
        // A throwing custom body still denies, with the default body.
        safeReport(onHookError, error);
        denial = denialRenderer(undefined)(requestId, decision);
      }
      return {
        allow: false,
        status: denial.status,
        body: denial.body,
        headers: denial.headers,
        requestId,
        decision,
        client,
      };
    },
  };
}

/** A request's decision with what it was decided from. */
interface Outcome {
  readonly decision: Decision;
  readonly client: IpAddress | undefined;
  readonly rules: GateRules | undefined;
  /** The socket peer text it was decided from; set only when the decision depends on nothing else. */
  readonly peer: string | undefined;
}

/** A cached outcome is handed to every later request on its connection: none of them may change it. */
function freezeOutcome(outcome: Outcome): Outcome {
  for (const rule of outcome.decision.matched) Object.freeze(rule);
  Object.freeze(outcome.decision.matched);
  Object.freeze(outcome.decision);
  return Object.freeze(outcome);
}

/**
 * An allowed result whose id (a random UUID) is made when first read: on the allow path, with the
 * default id and no `onDecision` hook, nothing reads it, and making a UUID per request cost about as
 * much as the decision itself. `toJSON` includes the id, so a logged result still shows it.
 */
class AllowedResult implements GateResult {
  readonly allow = true;
  readonly status = 200;
  readonly body = undefined;
  readonly headers = NO_HEADERS;
  #requestId: string | undefined = undefined;

  constructor(
    readonly decision: Decision,
    readonly client: IpAddress | undefined,
  ) {}

  get requestId(): string {
    this.#requestId ??= randomUUID();
    return this.#requestId;
  }

  toJSON(): GateResult {
    const { allow, status, body, headers, requestId, decision, client } = this;
    return { allow, status, body, headers, requestId, decision, client };
  }
}

/** The decision while a live source has no rules: everyone is blocked, as an empty tenant list blocks. */
const NO_RULES: Decision = Object.freeze({
  allow: false,
  status: 403,
  stage: 'tenant-restriction',
  reason: 'rules-not-loaded',
  matched: [],
  reviewable: false,
  detail: 'no rules yet: the rules source has not delivered any (no server answer and no cache file)',
}) as Decision;

function toSource(allow: AllowOption | undefined): RulesSource {
  if (allow === undefined || allow === null) {
    throw configError(
      'allow',
      'allow is missing.',
      "Write the addresses that may call, e.g. allow: ['203.0.113.0/24'], or a source: allow: fileRules('allow.txt').",
    );
  }
  if (isRulesSource(allow)) return allow;
  if (allow instanceof IpSet) return constant(listRules(allow, `${allow.size} entries from code`));
  if (typeof allow === 'string' || typeof (allow as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw configError(
      'allow',
      `allow must be a list of entries, an IpSet or a rules source, not ${typeof allow === 'string' ? 'a string' : typeof allow}.`,
      `Write allow: [${typeof allow === 'string' ? JSON.stringify(allow) : "'203.0.113.0/24'"}].`,
    );
  }
  let set: IpSet;
  try {
    set = IpSet.from(allow as Iterable<IpSetSource>);
  } catch (error) {
    if (error instanceof IpGateError) throw error.withContext({ field: 'allow' });
    throw error;
  }
  return constant(listRules(set, `${set.size} entries from code`));
}

function constant(rules: GateRules): RulesSource {
  return { current: () => rules, close: () => {} };
}

function toStrategy(option: GateOptions['clientAddress']): ClientAddressStrategy {
  if (option === undefined) return socketPeer();
  if (typeof (option as ClientAddressStrategy).resolve === 'function') return option as ClientAddressStrategy;
  try {
    return clientAddressStrategy(option as ClientAddressConfig);
  } catch (error) {
    if (error instanceof IpGateError)
      throw error.withContext({ field: `clientAddress.${error.field ?? 'mode'}` });
    throw error;
  }
}

function defaultHookError(error: unknown): void {
  process.emitWarning(
    `ipgate: a gate hook threw (the decision stands): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
}

function safeReport(report: (error: unknown) => void, error: unknown): void {
  try {
    report(error);
  } catch {
    // Reporting must never change the answer.
  }
}
