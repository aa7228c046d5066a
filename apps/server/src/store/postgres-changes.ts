import pg from 'pg';
import type { ChangeListener, ChangeWatch } from './store.js';

/**
 * The channel every committed change is announced on. Channels belong to the database, not to a
 * schema, so stores in several schemas of one database share it: the payload says whose change it
 * is (`<schema>:<version>`, see {@link changeNotice}) and a node refreshes only for its own.
 */
export const CHANGES_CHANNEL = 'ipgate_changes';

/** The payload announcing `version` of the store in `schema`. */
export function changeNotice(schema: string, version: number): string {
  return `${schema}:${version}`;
}

/** How long the watch's connection is idle before the OS sends its first keepalive probe. */
export const WATCH_KEEPALIVE_DELAY_MS = 10_000;

/**
 * Whether a notice on the channel may be a change of the store in `schema`. A payload without a
 * schema (a node of an earlier release: just the version) may be anyone's, so it counts: a needless
 * refresh costs a read, a missed one leaves rules stale until the next poll.
 */
export function isChangeOf(schema: string, payload: string | undefined): boolean {
  if (payload === undefined) return true;
  const colon = payload.lastIndexOf(':');
  return colon === -1 || payload.slice(0, colon) === schema;
}

/**
 * The `application_name` of the watch's connection for the store in `schema`: what tells it apart in
 * `pg_stat_activity` (an operator looking for it, a test waiting for its `LISTEN` to go through).
 * PostgreSQL keeps 63 bytes of it.
 */
export function changeWatchName(schema: string): string {
  return `ipgate changes ${schema}`.slice(0, 63);
}

/**
 * Follows `NOTIFY ipgate_changes` on a connection of its own and calls `onChange` when any node
 * commits a change to the store in `schema`, so a node refreshes within milliseconds instead of at
 * its next poll. After every (re)connection it calls `onChange` once too: notifications sent while it
 * was not listening are lost, and the caller's refresh compares versions, so a resync is simply one
 * more call. Reconnects with backoff (0.5 s doubling to 10 s) for as long as it is open; polling
 * stays the safety net either way.
 *
 * After a notice it stops listening (`UNLISTEN`) until the caller calls the `listen` it was handed,
 * which resolves once listening again: in a storm of 200 changes/s every notice is a wake-up of the
 * node and a message parsed, while the refresh the first one schedules reads every change since the
 * node's version anyway. The caller awaits `listen` before that read, so every change is either
 * committed before the read's snapshot (the read sees it) or after `LISTEN` committed (it is
 * announced). A `LISTEN` that takes longer than `listenTimeoutMs` ends the connection and lets the
 * read go on. See docs/architecture/storage.md, "How a change reaches the request path".
 *
 * @example
 * const watch = watchPostgresChanges({ connectionString, schema: 'public' }, (listen) =>
 *   void listen().then(() => engine.refresh()).catch(() => {}),
 * );
 * // …
 * await watch.close();
 */
export function watchPostgresChanges(
  options: {
    readonly connectionString: string;
    readonly schema: string;
    /** How long `listen` waits for `LISTEN` before it gives the connection up; default 1000 ms. */
    readonly listenTimeoutMs?: number | undefined;
  },
  onChange: ChangeListener,
): ChangeWatch {
  const listenTimeoutMs = options.listenTimeoutMs ?? 1000;
  let client: pg.Client | undefined;
  let closed = false;
  let reconnecting = false;
  let delay = 500;
  let timer: NodeJS.Timeout | undefined;

  const reconnectLater = (): void => {
    if (closed || reconnecting) return;
    reconnecting = true;
    client = undefined;
    timer = setTimeout(() => {
      reconnecting = false;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, 10_000);
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: changeWatchName(options.schema),
      // While it listens no query is sent: a path dropped without a FIN or RST (a NAT's or firewall's
      // idle timeout, a failover) would go unnoticed for ever, and the node would follow others'
      // changes only by its poll. With keepalive the OS probes an idle socket and ends it once the
      // probes go unanswered; the 'end' then reconnects and resyncs.
      keepAlive: true,
      keepAliveInitialDelayMillis: WATCH_KEEPALIVE_DELAY_MS,
    });
    /** Set by a notice (`UNLISTEN` sent), cleared once `LISTEN` is back in force. */
    let deaf = false;
    let relisten: Promise<void> | undefined;
    // A failed statement ends the connection: its reconnection listens and calls `onChange` (a
    // resync), so nothing stays unheard. Statements on one connection run in the order sent.
    const lost = (): void => void c.end().catch(() => {});
    const listen = (): Promise<void> => {
      if (!deaf) return Promise.resolve();
      relisten ??= new Promise<void>((resolve) => {
        // A connection that stopped answering must not hold the caller's read up: it is given up
        // (a reconnection resyncs), and polling covers what it would have announced meanwhile.
        const timer = setTimeout(() => {
          lost();
          resolve();
        }, listenTimeoutMs);
        c.query(`listen ${CHANGES_CHANNEL}`)
          .then(() => {
            deaf = false;
            relisten = undefined;
          }, lost)
          .finally(() => {
            clearTimeout(timer);
            resolve();
          });
      });
      return relisten;
    };
    // Errors are followed by 'end'; reconnecting there covers both (and a failed connect).
    c.on('error', () => {});
    c.on('end', () => {
      if (client === c || client === undefined) reconnectLater();
    });
    c.on('notification', (n) => {
      if (n.channel !== CHANGES_CHANNEL || !isChangeOf(options.schema, n.payload)) return;
      // Deaf until the caller is about to read: the notices of a storm say nothing that read will
      // not see. Those already on their way still arrive, and are passed on as they come.
      if (!deaf) {
        deaf = true;
        c.query(`unlisten ${CHANGES_CHANNEL}`).catch(lost);
      }
      onChange(listen);
    });
    try {
      await c.connect();
      await c.query(`listen ${CHANGES_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      delay = 500;
      onChange(listen);
    } catch {
      await c.end().catch(() => {});
      reconnectLater();
    }
  };

  void connect();
  return {
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
