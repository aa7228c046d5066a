/**
 * What `GET /v1/rules/…` serves: a tenant's or an API's live rules as a `PublishedRules` document
 * (core's wire format), built from the compiled unit this node enforces, and the waiting room of
 * long-polling clients, woken by the engine's swaps of that unit rather than by a loop per client
 * or by changes to other tenants.
 */
import { type IpSet, PUBLISHED_RULES_FORMAT, type PublishedEntry, type PublishedRules } from '@ipgate/core';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import type { SwapChanges } from '../../snapshot/compiled-rules.js';
import type { EntryIds } from '../../snapshot/entry-ids.js';
import type { CompiledApi, CompiledTenant } from '../../snapshot/snapshot.js';
import type { SnapshotEngine } from '../../snapshot/snapshot-engine.js';

/** Whose rules: an API's network allowlist or a tenant's IP list. */
export type RulesScope =
  | { readonly kind: 'api'; readonly apiId: string }
  | { readonly kind: 'tenant'; readonly tenantId: string };

/**
 * The part of the snapshot engine the publisher reads: the snapshot in force and its swaps. (Not
 * @ipgate/node's `RulesSource`, which is what a gate reads its rules from.)
 */
export type SnapshotSource = Pick<SnapshotEngine, 'current' | 'loaded' | 'onSwap'>;

/**
 * The names of a scope's entries by id. Compiled lists keep ids and values, not names; the
 * publisher reads them from the store when it builds a document (once per change of the unit).
 */
export type EntryNames = (scope: RulesScope) => Promise<ReadonlyMap<string, string>>;

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
 * const doc = await publisher.document({ kind: 'tenant', tenantId: 'ten_1' });
 * const next = await publisher.wait({ kind: 'tenant', tenantId: 'ten_1' }, doc.version, 30_000);
 */
export interface RulesPublisher {
  /**
   * The scope's document now; undefined when there is no such tenant or API (or no rules read yet).
   * Rejects when the names cannot be read (the store is down) and no document of this unit was built.
   */
  document(scope: RulesScope): Promise<PublishedRules | undefined>;
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
  /** The compiled unit the document was made from: the same object means the same content. */
  readonly unit: CompiledTenant | CompiledApi;
  readonly fingerprint: string;
  readonly document: PublishedRules;
}

/**
 * Builds the publisher over the node's snapshot engine.
 *
 * A document's `version` names its content: `rulesVersion × 1 000 000 + expired`, where
 * `rulesVersion` is the store's change version the unit's rules were read at and `expired` the
 * number of its enabled entries left out because their expiry had passed. A unit is read again only
 * after a change to it, at a higher version, and entries expire in time order, so a newer content
 * always has a higher version. A node keeps the version of the content it published until the
 * content differs: a change that re-reads the unit without changing its list (a renamed tenant)
 * neither wakes its waiters nor makes their clients download it again. Two nodes that read the same
 * unit at different versions (one started later) may number the same content differently; a client
 * moved between them downloads it once more, never older rules.
 *
 * @example
 * const publisher = createRulesPublisher(engine, { logger });
 * app.addHook('preClose', async () => publisher.close());
 */
export function createRulesPublisher(
  source: SnapshotSource,
  options: { readonly names: EntryNames; readonly logger?: Logger | undefined },
): RulesPublisher {
  const logger = options.logger ?? silentLogger;
  /** Builds in progress, shared by everyone asking for the same unit meanwhile. */
  const building = new Map<
    string,
    { readonly unit: CompiledTenant | CompiledApi; readonly doc: Promise<PublishedRules> }
  >();
  const published = new Map<string, Published>();
  const waiters = new Map<string, Set<Waiter>>();
  let waitingCount = 0;
  let closed = false;

  function unitOf(scope: RulesScope): CompiledTenant | CompiledApi | undefined {
    const snapshot = source.current;
    return scope.kind === 'api' ? snapshot.apis.get(scope.apiId) : snapshot.tenants.get(scope.tenantId);
  }

  async function document(scope: RulesScope): Promise<PublishedRules | undefined> {
    const key = scopeKey(scope);
    for (;;) {
      const unit = source.loaded ? unitOf(scope) : undefined;
      if (unit === undefined) {
        published.delete(key);
        return undefined;
      }
      const had = published.get(key);
      if (had !== undefined && had.unit === unit) return had.document;
      let pending = building.get(key);
      if (pending === undefined || pending.unit !== unit) {
        const doc = build(key, scope, unit).finally(() => {
          if (building.get(key)?.doc === doc) building.delete(key);
        });
        pending = { unit, doc };
        building.set(key, pending);
      }
      const doc = await pending.doc;
      // The unit changed while its names were read: build the newer one instead.
      if (unitOf(scope) === unit) return doc;
    }
  }

  async function build(
    key: string,
    scope: RulesScope,
    unit: CompiledTenant | CompiledApi,
  ): Promise<PublishedRules> {
    const body = contentOf(scope, unit, await options.names(scope));
    const fingerprint = JSON.stringify(body);
    const had = published.get(key);
    if (had !== undefined && had.fingerprint === fingerprint) {
      published.set(key, { ...had, unit });
      return had.document;
    }
    const version = unit.rulesVersion * EXPIRIES_PER_CHANGE + Math.min(unit.expired, EXPIRIES_PER_CHANGE - 1);
    const doc: PublishedRules = { format: PUBLISHED_RULES_FORMAT, version, ...body };
    published.set(key, { unit, fingerprint, document: doc });
    return doc;
  }

  function wake(key: string): void {
    const set = waiters.get(key);
    if (set === undefined) return;
    document(parseScopeKey(key)).then(
      (doc) => {
        for (const waiter of [...set]) {
          if (doc === undefined) waiter.done({ kind: 'gone' });
          else if (doc.version !== waiter.version) waiter.done({ kind: 'changed', document: doc });
        }
      },
      (e: unknown) =>
        logger.error(
          { err: e },
          'building published rules failed; their waiters will time out and ask again',
        ),
    );
  }

  function onSwap(changes: SwapChanges): void {
    if (changes.full) {
      for (const key of [...waiters.keys()]) wake(key);
      // Documents of scopes nobody waits for are rebuilt when asked; drop what no longer exists.
      for (const key of [...published.keys()]) if (!waiters.has(key)) published.delete(key);
      return;
    }
    for (const id of changes.tenants) wake(scopeKey({ kind: 'tenant', tenantId: id }));
    for (const id of changes.apis) wake(scopeKey({ kind: 'api', apiId: id }));
  }

  const unsubscribe = source.onSwap((changes) => {
    try {
      onSwap(changes);
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

type Content = Omit<PublishedRules, 'format' | 'version'>;

function contentOf(
  scope: RulesScope,
  unit: CompiledTenant | CompiledApi,
  names: ReadonlyMap<string, string>,
): Content {
  if (scope.kind === 'api') {
    return {
      scope: { kind: 'api', apiId: scope.apiId },
      entries: entriesOf((unit as CompiledApi).allowlist, (unit as CompiledApi).allowlistIds, names),
    };
  }
  const tenant = unit as CompiledTenant;
  return {
    scope: { kind: 'tenant', tenantId: tenant.id, mode: tenant.restriction.mode },
    entries: entriesOf(tenant.restriction.list, tenant.entryIds, names),
  };
}

/** The entries of a compiled list in list order, canonical: what the node enforces, expired ones left out. */
function entriesOf(list: IpSet, ids: EntryIds, names: ReadonlyMap<string, string>): PublishedEntry[] {
  const entries: PublishedEntry[] = [];
  for (let i = 0; i < list.size; i++) {
    const id = ids.at(i) ?? '';
    entries.push({ id, name: names.get(id) ?? '', value: list.entryAt(i).canonical });
  }
  return entries;
}

function scopeKey(scope: RulesScope): string {
  return scope.kind === 'api' ? `api:${scope.apiId}` : `tenant:${scope.tenantId}`;
}

function parseScopeKey(key: string): RulesScope {
  const at = key.indexOf(':');
  const id = key.slice(at + 1);
  return key.startsWith('api:') ? { kind: 'api', apiId: id } : { kind: 'tenant', tenantId: id };
}
