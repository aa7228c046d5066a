/**
 * A store that a node can start without: when the store cannot be reached at start (PostgreSQL down,
 * the SQLite file unreadable), the node still starts — serving its last good rules from disk, see
 * docs/architecture/storage.md — and this wrapper keeps trying to open the store in the background.
 * Until it opens, every call fails with IPG_STORE_UNAVAILABLE, as calls to a store that went away
 * mid-run do; once it opens (migrations included), calls go through.
 */
import { type IpGateError, isIpGateError } from '@ipgate/core';
import { type Logger, silentLogger } from '../log/logger.js';
import { storeUnavailable } from './errors.js';
import type { ChangeListener, ChangeWatch, Store } from './store.js';

/** A store that may still be opening. */
export interface ReachableStore extends Store {
  /** True once the store opened. */
  readonly opened: boolean;
  /** Why the last attempt to open it failed, while it is not open. */
  readonly openError: Error | undefined;
  /** Resolves with the opened store (never, when closed first). */
  readonly whenOpen: Promise<Store>;
}

/** Options of {@link openWhenReachable}. */
export interface OpenWhenReachableOptions {
  /** Opens the store (and migrates it); an IPG_STORE_UNAVAILABLE failure is retried, others thrown. */
  readonly open: () => Promise<Store>;
  /** Whether the opened store will offer `watchChanges` (PostgreSQL). */
  readonly watchable: boolean;
  /** Pause between attempts; default 1000 ms. */
  readonly retryMs?: number | undefined;
  readonly logger?: Logger | undefined;
}

/**
 * Opens the store, or — when it cannot be reached — returns at once a store that opens as soon as it
 * can. A failure that is not about reaching the store (a bad setting, a failed migration) is thrown,
 * so a misconfigured node still refuses to start.
 *
 * @example
 * const store = await openWhenReachable({ open: () => openPostgresStore({ connectionString }), watchable: true, logger });
 * if (!store.opened) logger.error({ err: store.openError }, 'starting without the store');
 */
export async function openWhenReachable(options: OpenWhenReachableOptions): Promise<ReachableStore> {
  const logger = options.logger ?? silentLogger;
  const retryMs = options.retryMs ?? 1000;
  let store: Store | undefined;
  let openError: Error | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let opened!: (store: Store) => void;
  const whenOpen = new Promise<Store>((resolve) => {
    opened = resolve;
  });
  const watchers: { onChange: ChangeListener; watch: ChangeWatch | undefined; closed: boolean }[] = [];

  function becameOpen(s: Store): void {
    store = s;
    openError = undefined;
    for (const w of watchers) if (!w.closed) w.watch = s.watchChanges?.(w.onChange);
    opened(s);
  }

  try {
    becameOpen(await options.open());
  } catch (e) {
    if (!isIpGateError(e) || e.code !== 'IPG_STORE_UNAVAILABLE') throw e;
    openError = e;
    logger.error(
      { err: e, retryMs },
      'the store cannot be reached at start; starting without it and trying again in the background',
    );
    const attempt = (): void => {
      timer = undefined;
      if (closed) return;
      options.open().then(
        (s) => {
          if (closed) {
            void s.close();
            return;
          }
          logger.info({}, 'the store is reachable: opened');
          becameOpen(s);
        },
        (err: unknown) => {
          openError = err instanceof Error ? err : new Error(String(err));
          if (!closed) timer = setTimeout(attempt, retryMs);
        },
      );
    };
    timer = setTimeout(attempt, retryMs);
  }

  const unavailable = (): IpGateError =>
    openError !== undefined && isIpGateError(openError) ? openError : storeUnavailable(openError);

  const target = {
    get opened() {
      return store !== undefined;
    },
    get openError() {
      return store === undefined ? openError : undefined;
    },
    whenOpen,
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const w of watchers) {
        w.closed = true;
        await w.watch?.close();
      }
      if (store !== undefined) await store.close();
    },
    ...(options.watchable
      ? {
          watchChanges(onChange: ChangeListener): ChangeWatch {
            if (store !== undefined && watchers.length === 0 && store.watchChanges !== undefined)
              return store.watchChanges(onChange);
            const w = { onChange, watch: store?.watchChanges?.(onChange), closed: false };
            watchers.push(w);
            return {
              async close() {
                w.closed = true;
                await w.watch?.close();
              },
            };
          },
        }
      : {}),
  };
  // Every other member is a store operation: forwarded once open, IPG_STORE_UNAVAILABLE before.
  return new Proxy(target, {
    get(t, name, receiver) {
      if (name in t) return Reflect.get(t, name, receiver);
      // Not a store operation: `then` (awaiting the proxy must not take it for a promise), symbols.
      if (typeof name !== 'string' || name === 'then') return undefined;
      if (store !== undefined) {
        const value = (store as unknown as Record<string | symbol, unknown>)[name];
        return typeof value === 'function' ? value.bind(store) : value;
      }
      return deferred([name]);
    },
  }) as unknown as ReachableStore;

  /**
   * A member of the store not open yet, found by its path when used: an operation (`store.x(…)`), or
   * one of a part's (`store.notifications.x(…)`, which callers may hold on to before the store opens).
   */
  function deferred(path: readonly string[]): unknown {
    const resolve = (): { owner: unknown; value: unknown } => {
      let owner: unknown = store;
      let value: unknown = store;
      for (const part of path) {
        owner = value;
        value = (value as Record<string, unknown> | undefined)?.[part];
      }
      return { owner, value };
    };
    return new Proxy(() => {}, {
      get(_t, name) {
        if (typeof name !== 'string' || name === 'then') return undefined;
        if (store !== undefined) {
          const { value } = resolve();
          const member = (value as Record<string, unknown> | undefined)?.[name];
          return typeof member === 'function' ? member.bind(value) : member;
        }
        return deferred([...path, name]);
      },
      apply(_t, _this, args: unknown[]) {
        if (store === undefined) return Promise.reject(unavailable());
        const { owner, value } = resolve();
        if (typeof value !== 'function') throw new TypeError(`store.${path.join('.')} is not a function`);
        return value.apply(owner, args);
      },
    });
  }
}
