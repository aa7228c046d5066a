import { readFile } from 'node:fs/promises';
import {
  type CompiledPublishedRules,
  configError,
  IpGateError,
  isIpGateError,
  type PublishedScope,
  parsePublishedRules,
} from '@ipgate/core';
import { writeFileAtomic } from './atomic-write.js';
import { type GateRules, publishedGateRules } from './rules.js';
import type { RulesSource } from './rules-source.js';

/**
 * Whose rules to follow: one API's network allowlist, or one tenant's IP restriction.
 */
export type LiveScope = { readonly apiId: string } | { readonly tenantId: string };

/**
 * Settings of {@link liveRules}. Each behaviour has a safe default.
 *
 * @example
 * const options: LiveRulesOptions = {
 *   url: 'https://ipgate.internal:8081',
 *   token: process.env.IPGATE_TOKEN!,
 *   scope: { apiId: 'api_1' },
 *   cacheFile: '/var/cache/myapp/ipgate-rules.json',
 * };
 */
export interface LiveRulesOptions {
  /** The ipgate server's admin base URL, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  /** A token scoped to read these rules; sent as `Authorization: Bearer <token>`. */
  readonly token: string;
  readonly scope: LiveScope;
  /**
   * Where to keep the last good document. Written atomically after every change; read at start
   * when the server cannot be reached. Without it, a start without the server denies everyone.
   */
  readonly cacheFile?: string | undefined;
  /** Any failure: network, status, a refused document, a cache write. The last good rules stay. */
  readonly onError?: ((error: Error) => void) | undefined;
  /** New rules are in force, from the server or (at start) from the cache file. */
  readonly onUpdate?: ((rules: GateRules, from: 'server' | 'cache') => void) | undefined;
  /** Seconds the server may hold a long poll open. Default 25. */
  readonly waitSeconds?: number | undefined;
  /** How long the first request may take before the cache file is used instead, in ms. Default 5000. */
  readonly startTimeoutMs?: number | undefined;
  /** Retry delays after a failure, doubling from `initialMs` to `maxMs` (with jitter). Default 250 → 30000. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number } | undefined;
}

/**
 * How a live source started: with the server's rules, with the cache file's, or with none (and then
 * it denies everyone until the server answers).
 *
 * @example
 * const rules = liveRules({ url: 'http://127.0.0.1:8081', token: 'ipg_adm_…', scope: { apiId: 'api_1' } });
 * const { from } = await rules.ready; // 'server' | 'cache' | 'none'
 */
export interface LiveRulesStart {
  readonly from: 'server' | 'cache' | 'none';
}

/**
 * A rules source that follows an ipgate server.
 *
 * @example
 * const rules = liveRules({ url: 'http://127.0.0.1:8081', token: 'ipg_adm_…', scope: { apiId: 'api_1' } });
 * await rules.ready;
 * rules.current()?.version; // 42
 */
export interface LiveRules extends RulesSource {
  /** Settles once the first attempt is over: rules from the server, from the cache file, or none. */
  readonly ready: Promise<LiveRulesStart>;
  current(): GateRules | undefined;
  close(): Promise<void>;
}

/**
 * Rules live from an ipgate server. Fetches `GET {url}/v1/rules/apis/{apiId}` (or
 * `/v1/rules/tenants/{tenantId}`), then long-polls the same URL with `?wait=25` and
 * `If-None-Match: "<version>"`: the server answers as soon as the rules change (200 with the new
 * document) or after `wait` seconds (304). So a change is in force here within a round trip.
 *
 * Fails safe at every step: a network error, an unexpected status or a document that does not parse
 * or is for another scope leaves the last good rules in force, is reported through `onError`, and is
 * retried with backoff. Every good document is written to `cacheFile`; a start without the server
 * uses that file; with neither, the gate denies (fail closed) until the server answers.
 *
 * @example
 * import express from 'express';
 * import { ipGate } from '@ipgate/express';
 * import { liveRules } from '@ipgate/node';
 *
 * const rules = liveRules({
 *   url: 'http://127.0.0.1:8081',
 *   token: process.env.IPGATE_TOKEN ?? '',
 *   scope: { apiId: 'api_1' },
 *   cacheFile: '/var/cache/myapp/ipgate-rules.json',
 *   onError: (e) => console.error(e.message),
 * });
 * await rules.ready;
 * express().use(ipGate({ allow: rules })).listen(3000);
 */
export function liveRules(options: LiveRulesOptions): LiveRules {
  const settings = check(options);
  const { onError, onUpdate, cacheFile } = options;
  let rules: GateRules | undefined;
  let fromServer = false;
  let closed = false;
  let inFlight: AbortController | undefined;
  let wake: (() => void) | undefined;
  let settle: (start: LiveRulesStart) => void = () => {};
  const ready = new Promise<LiveRulesStart>((resolve) => {
    settle = resolve;
  });

  const report = (error: unknown): void => {
    if (closed) return;
    try {
      onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A throwing handler must not stop the loop that keeps the rules current.
    }
  };

  const apply = (compiled: CompiledPublishedRules, from: 'server' | 'cache'): void => {
    rules = publishedGateRules(compiled);
    try {
      onUpdate?.(rules, from);
    } catch (error) {
      report(error);
    }
  };

  /** Returns whether new rules were applied. */
  const fetchOnce = async (): Promise<boolean> => {
    const poll = fromServer && rules !== undefined;
    const controller = new AbortController();
    inFlight = controller;
    const timeout = setTimeout(
      () => controller.abort(new Error('timed out')),
      poll ? settings.waitSeconds * 1000 + 10_000 : settings.startTimeoutMs,
    );
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
      };
      if (poll) headers['if-none-match'] = `"${rules?.version}"`;
      const response = await fetch(poll ? settings.pollUrl : settings.url, {
        headers,
        signal: controller.signal,
      });
      if (poll && response.status === 304) {
        await response.body?.cancel();
        return false;
      }
      const text = await response.text();
      if (response.status !== 200) throw statusError(response.status, text, settings.url);
      const document: unknown = JSON.parse(text);
      const compiled = parsePublishedRules(document);
      checkScope(compiled.scope, options.scope);
      if (poll && compiled.version === rules?.version) return false;
      apply(compiled, 'server');
      fromServer = true;
      if (cacheFile !== undefined) {
        await writeFileAtomic(cacheFile, JSON.stringify(document)).catch((error: unknown) =>
          report(
            new Error(`ipgate live rules: could not write the cache file ${cacheFile}: ${String(error)}`, {
              cause: error,
            }),
          ),
        );
      }
      return true;
    } finally {
      clearTimeout(timeout);
      inFlight = undefined;
    }
  };

  const loadCache = async (): Promise<boolean> => {
    if (cacheFile === undefined) return false;
    try {
      const compiled = parsePublishedRules(JSON.parse(await readFile(cacheFile, 'utf8')));
      checkScope(compiled.scope, options.scope);
      apply(compiled, 'cache');
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        report(
          new Error(
            `ipgate live rules: the cache file ${cacheFile} is unusable: ${(error as Error).message}`,
            { cause: error },
          ),
        );
      }
      return false;
    }
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async (): Promise<void> => {
    let delay = settings.initialMs;
    let first = true;
    while (!closed) {
      try {
        const started = performance.now();
        const changed = await fetchOnce();
        delay = settings.initialMs;
        if (first) settle({ from: 'server' });
        first = false;
        // A server (or a proxy in between) that answers "unchanged" without holding the poll would
        // make this loop spin; at most one unchanged answer a second keeps it cheap.
        const elapsed = performance.now() - started;
        if (!changed && elapsed < MIN_UNCHANGED_POLL_MS) await sleep(MIN_UNCHANGED_POLL_MS - elapsed);
      } catch (error) {
        if (closed) break;
        report(describe(error, settings.url));
        if (first) {
          first = false;
          settle({ from: (await loadCache()) ? 'cache' : 'none' });
        }
        // Jitter, so that many clients of a restarted server do not return in one wave.
        await sleep(delay * (0.5 + Math.random() / 2));
        delay = Math.min(delay * 2, settings.maxMs);
      }
    }
    settle({ from: rules === undefined ? 'none' : fromServer ? 'server' : 'cache' });
  };

  void run();

  return {
    ready,
    current: () => rules,
    close: async () => {
      closed = true;
      inFlight?.abort(new Error('closed'));
      wake?.();
      await ready;
    },
  };
}

const MIN_UNCHANGED_POLL_MS = 1000;

interface Settings {
  readonly url: string;
  readonly pollUrl: string;
  readonly waitSeconds: number;
  readonly startTimeoutMs: number;
  readonly initialMs: number;
  readonly maxMs: number;
}

function check(options: LiveRulesOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw configError(
      'options',
      'liveRules needs { url, token, scope }.',
      "Write e.g. liveRules({ url: 'http://127.0.0.1:8081', token, scope: { apiId: 'api_1' } }).",
    );
  }
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw configError(
      'url',
      `url ${JSON.stringify(options.url)} is not a URL.`,
      "Write the server's admin address, e.g. 'http://127.0.0.1:8081'.",
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw configError(
      'url',
      `url must be http or https, not ${base.protocol}`,
      "Write e.g. 'https://ipgate.internal:8081'.",
    );
  }
  if (typeof options.token !== 'string' || options.token.trim() === '') {
    throw configError(
      'token',
      'token is missing.',
      'Create a token that may read these rules on the ipgate server and pass it here (e.g. from an environment variable).',
    );
  }
  const scope = options.scope as Record<string, unknown> | undefined;
  const apiId = scope?.['apiId'];
  const tenantId = scope?.['tenantId'];
  const ok =
    typeof scope === 'object' &&
    scope !== null &&
    (typeof apiId === 'string') !== (typeof tenantId === 'string') &&
    (apiId ?? tenantId) !== '';
  if (!ok) {
    throw configError(
      'scope',
      'scope must name exactly one of apiId and tenantId.',
      "Write scope: { apiId: 'api_1' } or scope: { tenantId: 'ten_1' }.",
    );
  }
  const waitSeconds = options.waitSeconds ?? 25;
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1 || waitSeconds > 120) {
    throw configError(
      'waitSeconds',
      'waitSeconds must be a whole number from 1 to 120.',
      'Leave it out for 25, which passes most proxies’ idle timeouts.',
    );
  }
  const initialMs = options.backoff?.initialMs ?? 250;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  if (!(initialMs > 0 && maxMs >= initialMs)) {
    throw configError(
      'backoff',
      'backoff needs 0 < initialMs <= maxMs.',
      'Leave it out for 250 ms doubling to 30 s.',
    );
  }
  const startTimeoutMs = options.startTimeoutMs ?? 5000;
  if (!(startTimeoutMs > 0))
    throw configError('startTimeoutMs', 'startTimeoutMs must be above 0.', 'Leave it out for 5000.');
  const path =
    typeof apiId === 'string'
      ? `apis/${encodeURIComponent(apiId)}`
      : `tenants/${encodeURIComponent(String(tenantId))}`;
  const url = `${base.href.replace(/\/+$/, '')}/v1/rules/${path}`;
  return { url, pollUrl: `${url}?wait=${waitSeconds}`, waitSeconds, startTimeoutMs, initialMs, maxMs };
}

function checkScope(scope: PublishedScope, wanted: LiveScope): void {
  const same =
    'apiId' in wanted
      ? scope.kind === 'api' && scope.apiId === wanted.apiId
      : scope.kind === 'tenant' && scope.tenantId === wanted.tenantId;
  if (!same) {
    throw new IpGateError(
      'IPG_RULES_INVALID',
      `Published rules refused: they are for ${JSON.stringify(scope)}, not ${JSON.stringify(wanted)}.`,
      {
        field: 'scope',
        hint: 'Check the scope setting and the server address; the last good rules stay in force.',
      },
    );
  }
}

function statusError(status: number, body: string, url: string): Error {
  const hint =
    status === 401 || status === 403
      ? 'the token is missing, wrong or not allowed to read these rules'
      : status === 404
        ? 'no such API or tenant, or the server does not publish rules (an older version?)'
        : 'the server could not answer';
  return new Error(`ipgate live rules: GET ${url} answered ${status}: ${hint}. ${body.slice(0, 200)}`);
}

function describe(error: unknown, url: string): Error {
  if (isIpGateError(error)) return error;
  if (error instanceof SyntaxError)
    return new Error(`ipgate live rules: ${url} sent a body that is not JSON: ${error.message}`, {
      cause: error,
    });
  if (error instanceof Error && error.message.startsWith('ipgate live rules')) return error;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new Error(
    `ipgate live rules: cannot reach ${url} (${error instanceof Error ? error.message : String(error)}${cause}); keeping the last good rules and retrying.`,
    { cause: error },
  );
}
