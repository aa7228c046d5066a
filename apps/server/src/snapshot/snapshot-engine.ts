import { IpAddress, IpGateError, originOf, parseOrigin } from '@ipgate/core';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { CompiledRules, type SwapChanges } from './compiled-rules.js';
import { decideOnSnapshot, withMatchedIds } from './decide-on-snapshot.js';
import { type LastGoodHeader, LastGoodRefused } from './last-good-format.js';
import { readLastGood } from './last-good-read.js';
import type { LastGoodWriter } from './last-good-writer.js';
import type { CheckInput, CheckOutcome, RulesEngine } from './rules-engine.js';
import type { Snapshot } from './snapshot.js';

/** Options of {@link createSnapshotEngine}. */
export interface SnapshotEngineOptions {
  /** Only the reads the engine makes; it never writes. */
  readonly store: Pick<Store, 'currentVersion' | 'loadRules' | 'rulesSince'> &
    Partial<Pick<Store, 'storeId'>>;
  /**
   * When set, `refresh()` runs this often, so changes made through other nodes arrive without a
   * notification. Off by default (a single node refreshes after each of its own changes).
   */
  readonly pollIntervalMs?: number | undefined;
  readonly logger?: Logger | undefined;
  /** The clock entry expiry is judged by; tests move it. */
  readonly now?: (() => Date) | undefined;
  /**
   * How many changes one refresh follows unit by unit before it reloads everything instead; default
   * 1000. A node that was away for a storm of changes catches up faster by one load.
   */
  readonly maxChangesPerRefresh?: number | undefined;
  /**
   * How long after the previous refresh began {@link SnapshotEngine.refreshSoon} waits in a burst
   * (that refresh took several changes at once), so that a storm of other nodes' changes is read in
   * few refreshes (a refresh costs a few round trips to the store however many changes it carries);
   * default 250 ms. Changes that come one at a time are read within 20 ms each.
   * Own writes use `refresh()`, which never waits.
   */
  readonly coalesceMs?: number | undefined;
  /**
   * The node's last good rules on disk: read by {@link SnapshotEngine.start} when the store cannot
   * be reached, and (with `writer`) kept up to date with every rule the engine applies. The store
   * must offer `storeId`.
   */
  readonly lastGood?:
    | {
        readonly path: string;
        /** Where the store is, without credentials: a copy made for another location is refused. */
        readonly storeLocation: string;
        /** Keeps the copy; absent where another process of the node writes it (gateway workers). */
        readonly writer?: LastGoodWriter | undefined;
      }
    | undefined;
}

/** Where the rules in force came from, for `/readyz`, metrics and logs. */
export interface RulesStatus {
  /**
   * `store`: read from the store (ready when the last read succeeded); `last-good-copy`: from the
   * copy on disk, the store not reached since start; `none`: nothing loaded, requests are refused.
   */
  readonly source: 'store' | 'last-good-copy' | 'none';
  readonly version: number;
  /** Seconds since the rules were last known to be the store's (the copy's age while serving from it). */
  readonly ageSeconds: number | null;
  /** When serving from the copy: when it was written. */
  readonly copyWrittenAt?: string;
  /** Why the copy was not used, when it was not. */
  readonly copyRefused?: string;
  /** The last error reading the store, while it fails. */
  readonly storeError?: string;
}

/** Counters of what the engine has done, for metrics and benchmarks. */
export interface SnapshotEngineStats {
  /** Loads of every rule (the first, and when changes could not be followed). */
  readonly fullLoads: number;
  /** Refreshes that recompiled just the units changes touched. */
  readonly unitRefreshes: number;
  /** Units compiled by those refreshes and by expiries. */
  readonly unitsCompiled: number;
  /** Of those, tenants extended with the entries added to them rather than compiled whole. */
  readonly tenantsExtended: number;
  /** How long the last full load took (ms), from the first read to the swap. */
  readonly lastFullLoadMs: number | undefined;
}

/**
 * The rules engine of a node: the snapshot in force, and the state of its link to the store.
 *
 * @example
 * const engine = createSnapshotEngine({ store, pollIntervalMs: 1000 });
 * await engine.refresh();
 * engine.current.routes.find('api.example.com', '/v1/users');
 */
export interface SnapshotEngine extends RulesEngine {
  /** The snapshot in force. Read it once per request and use that one object throughout. */
  readonly current: Snapshot;
  /** True once a snapshot has been read from the store (before that, `current` is empty). */
  readonly loaded: boolean;
  /** True when loaded and the last read of the store succeeded. */
  readonly ready: boolean;
  /** The error of the last failed read of the store; cleared by the next successful one. */
  readonly lastError: Error | undefined;
  readonly stats: SnapshotEngineStats;
  /** Where the rules in force came from and how old they are. */
  readonly status: RulesStatus;
  /**
   * The first refresh of a node: from the store, or — when the store cannot be reached — from the
   * last good copy on disk (said loudly in the log); with neither, nothing is loaded and requests are
   * refused until the store answers. Never rejects: polling keeps trying the store.
   */
  start(): Promise<void>;
  /**
   * Like `refresh()` for changes made elsewhere (a notification, a poll): waits up to `coalesceMs`
   * so that a burst of other nodes' changes is read and compiled in one go. Errors are logged.
   * `listen` (from `Store.watchChanges`) is awaited by the next refresh before it reads the store.
   */
  refreshSoon(listen?: () => Promise<void>): void;
  /**
   * Calls `listener` after every swap (a change, or an entry expiring) with the units it changed, so
   * waiters on one tenant or API are woken by its changes only. Returns the function that removes
   * it. A listener that throws is logged.
   */
  onSwap(listener: (changes: SwapChanges) => void): () => void;
  /**
   * Stops polling and the expiry timer. The snapshot in force stays readable. A load under way stops
   * after the part it is compiling, and `start()` then resolves with nothing loaded.
   */
  close(): void;
}

/**
 * The least time between two refreshes for other nodes' changes outside a burst: notices that come
 * this close together (one change's several, a few changes at once) are still read together.
 */
const BURST_EDGE_MS = 20;

// setTimeout fires at once for delays above 2^31 - 1 ms; longer waits are taken in steps.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Builds the rules engine over a store. The first `refresh()` loads and compiles every rule; later
 * ones read only the units that changes since the snapshot's version touched (`rulesSince`, one
 * consistent read), recompile those and swap in a snapshot that shares everything else — so a
 * change costs what it changes, not what the store holds. A full load comes back when there are
 * too many changes to follow, or the store's version went back (a restored database).
 *
 * Concurrent calls share the run in progress plus at most one follow-up, so every caller sees changes
 * committed before its call. When the store fails, the last good snapshot stays in force, `ready`
 * turns false and the error is logged (once per outage) and rejected to the caller of `refresh()`.
 * When an entry's expiry comes, its unit is recompiled from rows kept for that purpose, without the
 * store, so expiry works during outages too.
 *
 * @example
 * const engine = createSnapshotEngine({ store, pollIntervalMs: 1000, logger });
 * await engine.refresh();
 * await store.addTenantIpEntry(tenantId, { value: '203.0.113.7' }, { actor: 'user:ops' });
 * await engine.refresh(); // the next request sees the entry
 * engine.check({ address: '203.0.113.7', tenantId, keyId }).decision.allow; // true
 */
export function createSnapshotEngine(options: SnapshotEngineOptions): SnapshotEngine {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const maxChanges = options.maxChangesPerRefresh ?? 1000;
  const coalesceMs = options.coalesceMs ?? 250;

  const rules = new CompiledRules((problem, version) =>
    logger.warn({ version, problem }, 'rule row skipped'),
  );
  let loaded = false;
  let healthy = false;
  let lastError: Error | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let soonTimer: NodeJS.Timeout | undefined;
  let lastRunAt = 0;
  /** When refreshSoon last started a refresh, and how many notices that refresh took. */
  let lastSoonAt = 0;
  let lastSoonNotices = 0;
  /** Notices since refreshSoon last started a refresh. */
  let notices = 0;
  /**
   * How many changes the last refresh for a notice read. A change watch that stops listening after a
   * notice (PostgreSQL) gives one notice per refresh however many changes come: a burst shows here.
   */
  let lastNoticedChanges = 0;
  /** Set by refreshSoon: the next run follows changes without checking the version first. */
  let pendingNotice = false;
  /**
   * Given by refreshSoon: the change watch listens again once this resolves, and the next run
   * awaits it before reading, so a change it does not read is announced (store.ts, watchChanges).
   */
  let pendingListen: (() => Promise<void>) | undefined;
  let closed = false;
  /** Set while serving the copy read at start, until the store answers. */
  let fromCopy: LastGoodHeader | undefined;
  let copyRefused: string | undefined;
  /** When the rules in force were last known to be the store's (ms). */
  let syncedAt: number | undefined;
  const lastGood = options.lastGood;
  const writer = lastGood?.writer;
  const stats = {
    fullLoads: 0,
    unitRefreshes: 0,
    unitsCompiled: 0,
    tenantsExtended: 0,
    lastFullLoadMs: undefined as number | undefined,
  };
  const swapListeners = new Set<(changes: SwapChanges) => void>();

  function swapped(changes: SwapChanges): void {
    scheduleExpiry();
    for (const listener of swapListeners) {
      try {
        listener(changes);
      } catch (e) {
        logger.error({ err: e }, 'snapshot swap listener failed');
      }
    }
  }

  function scheduleExpiry(): void {
    if (expiryTimer !== undefined) clearTimeout(expiryTimer);
    expiryTimer = undefined;
    const next = rules.nextExpiry;
    if (closed || next === null) return;
    const delay = Math.max(0, next - now().getTime());
    expiryTimer = setTimeout(onExpiry, Math.min(delay, MAX_TIMER_MS));
    expiryTimer.unref();
  }

  function onExpiry(): void {
    expiryTimer = undefined;
    const changes = rules.expire(now().getTime());
    const count = changes.tenants.size + changes.apis.size;
    // Nothing due: a long wait taken in steps, or a coarse clock woke us early.
    if (count === 0) {
      scheduleExpiry();
      return;
    }
    stats.unitsCompiled += count;
    swapped(changes);
  }

  async function storeIdOf(): Promise<string> {
    if (store.storeId === undefined) throw new Error('a last good copy needs a store with storeId()');
    return store.storeId();
  }

  async function loadAll(): Promise<void> {
    // A poll queued behind a load that a close cut short must not begin the load again.
    if (closed) throw new EngineClosed();
    const started = Date.now();
    logger.info({}, 'loading every rule from the store');
    const id = writer === undefined ? undefined : await storeIdOf();
    const load = rules.beginLoad(now().getTime());
    const copy = writer?.beginFull();
    let version: number;
    try {
      version = await store.loadRules(async (chunk) => {
        load.add(chunk);
        // The copy on disk may fall behind the load: the load waits for it rather than holding the
        // whole copy in memory (~200 MB at 1,000,000 entries).
        await copy?.add(chunk);
        // The SQLite driver answers without ever leaving the microtask queue, so without this turn
        // of the event loop a load of 1,000,000 entries held off timers, I/O and signals (SIGTERM)
        // until its end; now a close stops it after the part being compiled.
        await new Promise((resolve) => setImmediate(resolve));
        if (closed) throw new EngineClosed();
      });
    } catch (e) {
      copy?.abandon();
      throw e;
    }
    const changes = load.finish(version);
    if (id !== undefined) copy?.finish(version, id);
    stats.fullLoads++;
    stats.lastFullLoadMs = Date.now() - started;
    logger.info({ version, ms: stats.lastFullLoadMs, tenants: rules.snapshot.tenants.size }, 'rules loaded');
    swapped(changes);
  }

  async function run(): Promise<void> {
    lastRunAt = Date.now();
    // A notification says the store moved: read what changed at once, without asking its version
    // first (one round trip fewer for every node, for every burst of changes).
    const notified = pendingNotice && loaded;
    pendingNotice = false;
    const listen = pendingListen;
    pendingListen = undefined;
    try {
      if (listen !== undefined) await listen();
      if (fromCopy !== undefined) {
        // The store answers again after a start from the copy: is it the store the copy came from?
        const id = await storeIdOf();
        if (id !== fromCopy.storeId) {
          logger.error(
            { copyStoreId: fromCopy.storeId, storeId: id },
            "the last good rules on disk came from another store; replacing them with this store's",
          );
          await loadAll();
        } else {
          writer?.adopt(fromCopy);
        }
        fromCopy = undefined;
      } else if (loaded && writer?.needsFull === true) {
        await loadAll();
      }
      const current = rules.snapshot.version;
      const version = notified ? current + 1 : await store.currentVersion();
      if (!loaded) {
        await loadAll();
        loaded = true;
      } else if (version < current) {
        logger.warn(
          { version, was: current },
          'the store is at an older change version than this node (restored?); reloading every rule',
        );
        await loadAll();
      } else if (version > current) {
        // Tenants whose changes only added entries come as just those entries, which the compiled
        // tenant is extended with (an `auto` batch costs its own rows, not the list's); the copy on
        // disk records them as such too.
        let delta = await store.rulesSince(current, { maxChanges, additions: true });
        if (delta !== undefined && !rules.canExtend(delta)) {
          logger.warn(
            { from: current },
            'entries were added to a tenant this node does not hold; reading the tenants whole',
          );
          delta = await store.rulesSince(current, { maxChanges });
        }
        if (delta === undefined) {
          logger.info({ from: current }, 'too many changes to follow one by one; reloading every rule');
          await loadAll();
        } else if (delta.version > rules.snapshot.version) {
          const changes = rules.apply(delta, now().getTime());
          writer?.noteDelta(delta);
          stats.unitRefreshes++;
          stats.unitsCompiled += changes.tenants.size + changes.apis.size + changes.keys.size;
          stats.tenantsExtended += delta.tenantAdditions?.size ?? 0;
          swapped(changes);
        }
      }
      if (notified) lastNoticedChanges = rules.snapshot.version - current;
      if (!healthy && lastError !== undefined)
        logger.info({ version: rules.snapshot.version }, 'store reachable again');
      healthy = true;
      lastError = undefined;
      syncedAt = Date.now();
    } catch (e) {
      // Closed while reading (a stop during start-up): nothing failed, and the node is going away.
      if (closed) throw e;
      const error = e instanceof Error ? e : new Error(String(e));
      if (healthy || lastError === undefined) {
        logger.error(
          { err: error, version: rules.snapshot.version, loaded },
          'cannot read the rules from the store; serving the last good snapshot',
        );
      }
      healthy = false;
      lastError = error;
      throw error;
    }
  }

  function refresh(): Promise<void> {
    if (running === undefined) {
      running = run().finally(() => {
        running = undefined;
      });
      return running;
    }
    // A run is under way, but it may have read the version before the caller's change committed.
    queued ??= running
      .catch(() => {})
      .then(() => {
        queued = undefined;
        return refresh();
      });
    return queued;
  }

  async function loadCopy(): Promise<void> {
    if (lastGood === undefined) {
      copyRefused = 'no last good copy is kept (it is turned off)';
      return;
    }
    const load = rules.beginLoad(now().getTime());
    try {
      const header = await readLastGood(lastGood.path, { storeLocation: lastGood.storeLocation }, (chunk) => {
        if (closed) throw new EngineClosed();
        load.add(chunk);
      });
      // The store answered meanwhile (a poll): its rules are newer than the copy's.
      if (loaded || closed) return;
      const changes = load.finish(header.version);
      fromCopy = header;
      loaded = true;
      copyRefused = undefined;
      if (header.journal.damage !== undefined)
        logger.error(
          { path: lastGood.path, damage: header.journal.damage, version: header.version },
          'the journal of the last good rules ends in a damaged record (cut short by a crash, or changed on disk); serving the rules as of its last whole record',
        );
      if (header.journal.ignored !== undefined)
        logger.warn(
          { path: lastGood.path, reason: header.journal.ignored },
          'the journal beside the last good rules was not used',
        );
      logger.error(
        {
          path: lastGood.path,
          version: header.version,
          writtenAt: header.writtenAt,
          ageSeconds: Math.round((Date.now() - Date.parse(header.writtenAt)) / 1000),
          tenants: rules.snapshot.tenants.size,
          journalRecords: header.journal.records,
        },
        'SERVING LAST GOOD RULES FROM DISK: the store cannot be reached; rules change nowhere until it answers again',
      );
      swapped(changes);
    } catch (e) {
      if (closed) return;
      copyRefused =
        e instanceof LastGoodRefused ? `${e.reason}: ${e.message}` : `unreadable: ${(e as Error).message}`;
      logger.error(
        { path: lastGood.path, reason: copyRefused },
        'NO RULES: the store cannot be reached and the last good copy on disk is not usable; every request is refused until the store answers',
      );
    }
  }

  async function start(): Promise<void> {
    try {
      await refresh();
    } catch {
      if (!loaded && !closed) await loadCopy();
    }
  }

  function refreshSoon(listen?: () => Promise<void>): void {
    pendingNotice = true;
    if (listen !== undefined) pendingListen = listen;
    notices++;
    if (closed || soonTimer !== undefined) return;
    // Spaced from the previous refresh for other nodes' changes only (a poll or an own write in
    // between does not hold a change back), and only in a burst: when that refresh took several
    // notices or changes at once. Changes that come one at a time are read at once, each.
    const spacing = lastSoonNotices > 1 || lastNoticedChanges > 1 ? coalesceMs : BURST_EDGE_MS;
    const wait = Math.max(0, lastSoonAt + spacing - Date.now());
    soonTimer = setTimeout(() => {
      soonTimer = undefined;
      lastSoonAt = Date.now();
      lastSoonNotices = notices;
      notices = 0;
      refresh().catch(() => {}); // logged in run()
    }, wait);
    soonTimer.unref();
  }

  const pollMs = options.pollIntervalMs;
  /** When the poll's own last refresh began: runs since then were someone else's. */
  let pollRunAt = -1;
  // The poll is the safety net for changes no notification announced: a node that refreshed for
  // another reason within the interval (its own writes, notifications) has just read the store.
  const poll =
    pollMs !== undefined && pollMs > 0
      ? setInterval(() => {
          if (lastRunAt !== pollRunAt && Date.now() - lastRunAt < pollMs) return;
          refresh().catch(() => {}); // logged in run()
          pollRunAt = lastRunAt;
        }, pollMs)
      : undefined;
  poll?.unref();

  function check(input: CheckInput): CheckOutcome {
    const snapshot = rules.snapshot;
    // The same strict parse as every other door, so `127.1` is IPG_ADDRESS_AMBIGUOUS_IPV4 with its hint.
    const client = IpAddress.parse(input.address, 'address');
    const origin = checkedOrigin(input.origin);
    const api = input.apiId === undefined ? undefined : snapshot.apis.get(input.apiId);
    if (input.apiId !== undefined && api === undefined) throw notFound('API', input.apiId, 'apiId');
    const key = input.keyId === undefined ? undefined : snapshot.keysById.get(input.keyId);
    if (input.keyId !== undefined) {
      if (key === undefined || (input.tenantId !== undefined && key.tenantId !== input.tenantId)) {
        throw notFound('active key', input.keyId, 'keyId');
      }
    }
    const tenantId = key?.tenantId ?? input.tenantId;
    const tenant = tenantId === undefined ? undefined : snapshot.tenants.get(tenantId);
    if (tenantId !== undefined && tenant === undefined) throw notFound('tenant', tenantId, 'tenantId');
    const facts = { client: client.unmap(), origin: originOf({ origin }), api, tenant, key };
    const decision = withMatchedIds(decideOnSnapshot(facts), facts);
    return {
      decision,
      address: client.unmap().toString(),
      apiId: api?.id ?? null,
      tenantId: tenant?.id ?? null,
      keyId: key?.id ?? null,
      snapshotVersion: snapshot.version,
    };
  }

  return {
    get version() {
      return rules.snapshot.version;
    },
    get current() {
      return rules.snapshot;
    },
    get loaded() {
      return loaded;
    },
    get ready() {
      return loaded && healthy;
    },
    get lastError() {
      return lastError;
    },
    get stats() {
      return { ...stats };
    },
    get status(): RulesStatus {
      const source = !loaded ? 'none' : fromCopy !== undefined ? 'last-good-copy' : 'store';
      const knownAt = fromCopy !== undefined ? Date.parse(fromCopy.writtenAt) : syncedAt;
      return {
        source,
        version: rules.snapshot.version,
        ageSeconds: knownAt === undefined || !loaded ? null : Math.max(0, (Date.now() - knownAt) / 1000),
        ...(fromCopy === undefined ? {} : { copyWrittenAt: fromCopy.writtenAt }),
        ...(copyRefused === undefined || loaded ? {} : { copyRefused }),
        ...(lastError === undefined ? {} : { storeError: lastError.message }),
      };
    },
    start,
    onSwap(listener) {
      swapListeners.add(listener);
      return () => swapListeners.delete(listener);
    },
    refresh,
    refreshSoon,
    check,
    close() {
      closed = true;
      if (poll !== undefined) clearInterval(poll);
      if (expiryTimer !== undefined) clearTimeout(expiryTimer);
      if (soonTimer !== undefined) clearTimeout(soonTimer);
      expiryTimer = undefined;
      soonTimer = undefined;
    },
  };
}

/** Ends a load cut short by {@link SnapshotEngine.close}. */
class EngineClosed extends Error {
  constructor() {
    super('the rules engine was closed during a load');
  }
}

function notFound(what: string, id: string, field: string): IpGateError {
  return new IpGateError('IPG_NOT_FOUND', `No ${what} ${JSON.stringify(id)}.`, { field, input: id });
}

/**
 * The Origin a check describes, as a browser would send it. The gateway fails closed on a garbled Origin
 * (it matches no rule); a person describing one has made a typo, most often a missing scheme, and is
 * told so instead of getting a denial that looks like a rule problem. The literal `null` is what
 * sandboxed pages send, so it is described as it is.
 */
function checkedOrigin(origin: string | undefined): string | undefined {
  if (origin === undefined || origin === 'null' || parseOrigin(origin) !== null) return origin;
  const bare = !/^[a-z][a-z0-9+.-]*:\/\//i.test(origin.trim());
  throw new IpGateError(
    'IPG_ORIGIN_INVALID',
    `${JSON.stringify(origin)} is not an origin as a browser sends it${bare ? ': it has no scheme' : ''}.`,
    {
      field: 'origin',
      input: origin,
      hint: bare
        ? `Write it with its scheme, e.g. https://${origin.trim().replace(/\/+$/, '')}.`
        : 'Write scheme://host[:port] only, e.g. https://app.example.com — no path, not even a trailing /.',
    },
  );
}
