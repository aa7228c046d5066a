/**
 * What `GET /v1/rules/…` serves: a tenant's or an API's live rules as a `PublishedRules` document
 * (core's wire format), built from the dump of the snapshot this node enforces, and the waiting room
 * of long-polling clients, woken by the engine's swaps rather than by a loop per client.
 */
import { PUBLISHED_RULES_FORMAT, type PublishedEntry, type PublishedRules } from '@ipgate/core';
import type { Logger } from '../../snapshot/logger.js';
import { silentLogger } from '../../snapshot/logger.js';
import type { Snapshot } from '../../snapshot/snapshot.js';
import type { SnapshotEngine } from '../../snapshot/snapshot-engine.js';
import type { IpListEntry, RulesDump, Tenant } from '../../store/store.js';

/** Whose rules: an API's network allowlist or a tenant's IP list. */
export type RulesScope =
  | { readonly kind: 'api'; readonly apiId: string }
  | { readonly kind: 'tenant'; readonly tenantId: string };

/** The part of the snapshot engine the publisher reads. */
export type RulesSource = Pick<SnapshotEngine, 'current' | 'dump' | 'onSwap'>;

/** How a wait ended. */
export type WaitResult =
  | { readonly kind: 'changed'; readonly document: PublishedRules }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'gone' };

/**
 * Publishes rules and wakes waiters.
 *
 * @example
 * const publisher = createRulesPublisher(engine);
 * const doc = publisher.document({ kind: 'tenant', tenantId: 'ten_1' });
 * const next = await publisher.wait({ kind: 'tenant', tenantId: 'ten_1' }, doc.version, 30_000);
 */
export interface RulesPublisher {
  /** The scope's document now; undefined when there is no such tenant or API (or no rules read yet). */
  document(scope: RulesScope): PublishedRules | undefined;
  /**
   * Resolves when the scope's document no longer has version `version` (`changed`), when the scope
   * disappears (`gone`), when `timeoutMs` passes, `abort` fires (the client left) or the publisher
   * closes (`unchanged`).
   */
  wait(scope: RulesScope, version: number, timeoutMs: number, abort?: AbortSignal): Promise<WaitResult>;
  /** How many clients are waiting (for tests and metrics). */
  readonly waiting: number;
  /** Answers every waiter `unchanged` and stops listening to the engine. */
  close(): void;
}

/**
 * Room for expiries per change version in a document version. A scope whose list loses more entries
 * than this to expiry between two changes would repeat a version; no list is that long.
 */
const EXPIRIES_PER_CHANGE = 1_000_000;

interface Waiter {
  readonly version: number;
  readonly done: (result: WaitResult) => void;
}

interface Published {
  readonly fingerprint: string;
  readonly document: PublishedRules;
}

interface Index {
  /** The snapshot it was built for: an expiry swaps the snapshot but keeps the dump. */
  readonly snapshot: Snapshot;
  readonly dump: RulesDump;
  readonly tenants: ReadonlyMap<string, Tenant>;
  readonly apiIds: ReadonlySet<string>;
  /** Entries whose expiry is at or before this time (ms) are left out: the snapshot's cut-off. */
  readonly at: number;
  /** Enabled entries, expired ones included (they are counted for the version). */
  readonly tenantEntries: ReadonlyMap<string, IpListEntry[]>;
  readonly apiEntries: ReadonlyMap<string, IpListEntry[]>;
}

/**
 * Builds the publisher over the node's snapshot engine.
 *
 * A document's `version` names its content, the same on every node:
 * `changeVersion × 1 000 000 + expired`, where `changeVersion` is the store's change version of the
 * dump the content was read from and `expired` the number of the scope's enabled entries of that dump
 * whose expiry had passed. Entries expire in time order, so the pair fixes the content, and an expiry
 * (which changes the content without a change in the store) gets a new version too. A node keeps the
 * version of the content it published until the content differs: a change to another tenant moves the
 * change version but neither wakes this scope's waiters nor makes their clients download it again.
 *
 * @example
 * const publisher = createRulesPublisher(engine, { logger });
 * app.addHook('preClose', async () => publisher.close());
 */
export function createRulesPublisher(
  source: RulesSource,
  options: { readonly logger?: Logger | undefined } = {},
): RulesPublisher {
  const logger = options.logger ?? silentLogger;
  const published = new Map<string, Published>();
  const waiters = new Map<string, Set<Waiter>>();
  let index: Index | undefined;
  let waitingCount = 0;
  let closed = false;

  function indexed(): Index | undefined {
    const dump = source.dump;
    if (dump === undefined) return undefined;
    const snapshot = source.current;
    if (index !== undefined && index.snapshot === snapshot && index.dump === dump) return index;
    // The expiry cut-off of the snapshot in force, so the document says what this node enforces.
    const at = snapshot.builtAt.getTime();
    index = {
      snapshot,
      dump,
      tenants: new Map(dump.tenants.map((t) => [t.id, t])),
      apiIds: new Set(dump.apis.map((a) => a.id)),
      at,
      tenantEntries: group(dump.tenantIpEntries.filter(enabled), (e) => e.tenantId),
      apiEntries: group(dump.apiAllowlistEntries.filter(enabled), (e) => e.apiId),
    };
    return index;
  }

  function document(scope: RulesScope): PublishedRules | undefined {
    const key = scopeKey(scope);
    const idx = indexed();
    const content = idx === undefined ? undefined : contentOf(idx, scope);
    if (idx === undefined || content === undefined) {
      published.delete(key);
      return undefined;
    }
    const { expired, ...body } = content;
    const fingerprint = JSON.stringify(body);
    const had = published.get(key);
    if (had !== undefined && had.fingerprint === fingerprint) return had.document;
    const version = idx.dump.version * EXPIRIES_PER_CHANGE + Math.min(expired, EXPIRIES_PER_CHANGE - 1);
    const doc: PublishedRules = { format: PUBLISHED_RULES_FORMAT, version, ...body };
    published.set(key, { fingerprint, document: doc });
    return doc;
  }

  function onSwap(): void {
    index = undefined;
    for (const [key, set] of waiters) {
      const doc = document(parseScopeKey(key));
      for (const waiter of [...set]) {
        if (doc === undefined) waiter.done({ kind: 'gone' });
        else if (doc.version !== waiter.version) waiter.done({ kind: 'changed', document: doc });
      }
    }
  }

  const unsubscribe = source.onSwap(() => {
    try {
      onSwap();
    } catch (e) {
      logger.error({ err: e }, 'waking rules waiters failed; they will time out and ask again');
    }
  });

  function wait(
    scope: RulesScope,
    version: number,
    timeoutMs: number,
    abort?: AbortSignal,
  ): Promise<WaitResult> {
    if (closed) return Promise.resolve({ kind: 'unchanged' });
    const key = scopeKey(scope);
    return new Promise<WaitResult>((resolve) => {
      let set = waiters.get(key);
      if (set === undefined) {
        set = new Set();
        waiters.set(key, set);
      }
      const own = set;
      const finish = (result: WaitResult): void => {
        if (!own.delete(waiter)) return;
        waitingCount--;
        if (own.size === 0 && waiters.get(key) === own) waiters.delete(key);
        clearTimeout(timer);
        abort?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onAbort = (): void => finish({ kind: 'unchanged' });
      const waiter: Waiter = { version, done: finish };
      own.add(waiter);
      waitingCount++;
      // One timer per waiting client, no polling: the wake-up comes from the engine's swap.
      const timer = setTimeout(() => finish({ kind: 'unchanged' }), timeoutMs);
      timer.unref();
      abort?.addEventListener('abort', onAbort, { once: true });
      if (abort?.aborted) onAbort();
    });
  }

  return {
    document,
    wait,
    get waiting() {
      return waitingCount;
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const set of waiters.values()) for (const w of [...set]) w.done({ kind: 'unchanged' });
    },
  };
}

type Content = Omit<PublishedRules, 'format' | 'version'> & { readonly expired: number };

function contentOf(idx: Index, scope: RulesScope): Content | undefined {
  if (scope.kind === 'api') {
    if (!idx.apiIds.has(scope.apiId)) return undefined;
    return {
      scope: { kind: 'api', apiId: scope.apiId },
      ...unexpired(idx.apiEntries.get(scope.apiId), idx.at),
    };
  }
  const tenant = idx.tenants.get(scope.tenantId);
  if (tenant === undefined) return undefined;
  return {
    scope: { kind: 'tenant', tenantId: tenant.id, mode: tenant.ipMode },
    ...unexpired(idx.tenantEntries.get(tenant.id), idx.at),
  };
}

function unexpired(
  rows: readonly IpListEntry[] | undefined,
  at: number,
): { entries: PublishedEntry[]; expired: number } {
  const entries: PublishedEntry[] = [];
  let expired = 0;
  for (const e of rows ?? []) {
    if (e.expiresAt !== null && e.expiresAt.getTime() <= at) expired++;
    else entries.push({ id: e.id, name: e.name, value: e.canonical });
  }
  return { entries, expired };
}

function enabled(e: IpListEntry): boolean {
  return e.enabled;
}

function scopeKey(scope: RulesScope): string {
  return scope.kind === 'api' ? `api:${scope.apiId}` : `tenant:${scope.tenantId}`;
}

function parseScopeKey(key: string): RulesScope {
  const at = key.indexOf(':');
  const id = key.slice(at + 1);
  return key.startsWith('api:') ? { kind: 'api', apiId: id } : { kind: 'tenant', tenantId: id };
}

function group<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = map.get(k);
    if (list === undefined) map.set(k, [item]);
    else list.push(item);
  }
  return map;
}
