import pg from 'pg';
import type { ChangeWatch } from './store.js';

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
 * Follows `NOTIFY ipgate_changes` on a connection of its own and calls `onChange` for every change
 * any node commits to the store in `schema`, so a node refreshes within milliseconds instead of at its next poll. After
 * every (re)connection it calls `onChange` once too: notifications sent while it was not listening
 * are lost, and the caller's refresh compares versions, so a resync is simply one more call.
 * Reconnects with backoff (0.5 s doubling to 10 s) for as long as it is open; polling stays the
 * safety net either way.
 *
 * @example
 * const watch = watchPostgresChanges({ connectionString, schema: 'public' }, () => void engine.refresh().catch(() => {}));
 * // …
 * await watch.close();
 */
export function watchPostgresChanges(
  options: { readonly connectionString: string; readonly schema: string },
  onChange: () => void,
): ChangeWatch {
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
    const c = new pg.Client({ connectionString: options.connectionString });
    // Errors are followed by 'end'; reconnecting there covers both (and a failed connect).
    c.on('error', () => {});
    c.on('end', () => {
      if (client === c || client === undefined) reconnectLater();
    });
    c.on('notification', (n) => {
      if (n.channel === CHANGES_CHANNEL && isChangeOf(options.schema, n.payload)) onChange();
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
      onChange();
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
