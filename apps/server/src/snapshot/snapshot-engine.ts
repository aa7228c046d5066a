import { IpAddress, IpGateError, originOf } from '@ipgate/core';
import type { RulesDump, Store } from '../store/store.js';
import { decideOnSnapshot } from './decide-on-snapshot.js';
import { type Logger, silentLogger } from './logger.js';
import type { CheckInput, CheckOutcome, RulesEngine } from './rules-engine.js';
import { compileSnapshot, emptySnapshot, type Snapshot } from './snapshot.js';

/** Options of {@link createSnapshotEngine}. */
export interface SnapshotEngineOptions {
  /** Only the two reads the engine makes; it never writes. */
  readonly store: Pick<Store, 'currentVersion' | 'dumpRules'>;
  /**
   * When set, `refresh()` runs this often, so changes made through other nodes arrive without a
   * notification. Off by default (a single node refreshes after each of its own changes).
   */
  readonly pollIntervalMs?: number | undefined;
  readonly logger?: Logger | undefined;
  /** The clock entry expiry is judged by; tests move it. */
  readonly now?: (() => Date) | undefined;
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
  /** The dump `current` was compiled from (undefined before the first read), for publishing rules. */
  readonly dump: RulesDump | undefined;
  /**
   * Calls `listener` after every swap (a change, or an entry expiring), so waiters can be woken
   * instead of polling. Returns the function that removes it. A listener that throws is logged.
   */
  onSwap(listener: () => void): () => void;
  /** Stops polling and the expiry timer. The snapshot in force stays readable. */
  close(): void;
}

// setTimeout fires at once for delays above 2^31 - 1 ms; longer waits are taken in steps.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Builds the rules engine over a store: `refresh()` compiles a new snapshot when the store's change
 * version is ahead of the one in force and swaps it in one assignment; concurrent calls share the run
 * in progress plus at most one follow-up, so every caller sees changes committed before its call.
 * When the store fails, the last good snapshot stays in force, `ready` turns false and the error is
 * logged (once per outage) and rejected to the caller of `refresh()`. When an entry's expiry comes,
 * the engine recompiles the last dump without asking the store, so expiry works during outages too.
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

  let current = emptySnapshot();
  let lastDump: RulesDump | undefined;
  let loaded = false;
  let healthy = false;
  let lastError: Error | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const swapListeners = new Set<() => void>();

  function install(dump: RulesDump): void {
    const next = compileSnapshot(dump, { now: now() });
    for (const problem of next.problems) logger.warn({ version: next.version, problem }, 'rule row skipped');
    current = next;
    lastDump = dump;
    scheduleExpiry();
    for (const listener of swapListeners) {
      try {
        listener();
      } catch (e) {
        logger.error({ err: e }, 'snapshot swap listener failed');
      }
    }
  }

  function scheduleExpiry(): void {
    if (expiryTimer !== undefined) clearTimeout(expiryTimer);
    expiryTimer = undefined;
    if (closed || current.nextExpiry === null) return;
    const delay = Math.max(0, current.nextExpiry.getTime() - now().getTime());
    expiryTimer = setTimeout(onExpiry, Math.min(delay, MAX_TIMER_MS));
    expiryTimer.unref();
  }

  function onExpiry(): void {
    expiryTimer = undefined;
    if (lastDump === undefined) return;
    if (current.nextExpiry !== null && current.nextExpiry.getTime() > now().getTime()) {
      scheduleExpiry(); // woke early: a long wait taken in steps, or a coarse clock
      return;
    }
    install(lastDump);
  }

  async function run(): Promise<void> {
    try {
      const version = await store.currentVersion();
      if (!loaded || version > current.version) {
        const dump = await store.dumpRules();
        // Never go back: another refresh may have installed a newer dump meanwhile.
        if (!loaded || dump.version >= current.version) install(dump);
        loaded = true;
      }
      if (!healthy && lastError !== undefined)
        logger.info({ version: current.version }, 'store reachable again');
      healthy = true;
      lastError = undefined;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (healthy || lastError === undefined) {
        logger.error(
          { err: error, version: current.version, loaded },
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

  const poll =
    options.pollIntervalMs !== undefined && options.pollIntervalMs > 0
      ? setInterval(() => {
          refresh().catch(() => {}); // logged in run()
        }, options.pollIntervalMs)
      : undefined;
  poll?.unref();

  function check(input: CheckInput): CheckOutcome {
    const snapshot = current;
    const client = IpAddress.tryParse(input.address);
    if (client === undefined) {
      throw new IpGateError('IPG_ADDRESS_INVALID', `${JSON.stringify(input.address)} is not an address.`, {
        field: 'address',
        input: input.address,
      });
    }
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
    const decision = decideOnSnapshot({
      client: client.unmap(),
      origin: originOf({ origin: input.origin }),
      api,
      tenant,
      key,
    });
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
      return current.version;
    },
    get current() {
      return current;
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
    get dump() {
      return lastDump;
    },
    onSwap(listener) {
      swapListeners.add(listener);
      return () => swapListeners.delete(listener);
    },
    refresh,
    check,
    close() {
      closed = true;
      if (poll !== undefined) clearInterval(poll);
      if (expiryTimer !== undefined) clearTimeout(expiryTimer);
      expiryTimer = undefined;
    },
  };
}

function notFound(what: string, id: string, field: string): IpGateError {
  return new IpGateError('IPG_NOT_FOUND', `No ${what} ${JSON.stringify(id)}.`, { field, input: id });
}
