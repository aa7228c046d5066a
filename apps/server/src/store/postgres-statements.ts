/**
 * Named (prepared) statements for Kysely's PostgreSQL driver, which sends every query unnamed: the
 * backend then parses, analyses and plans the text on every call. Under a storm of admin writes that
 * was about a third of the backends' CPU (bench/README.md, "The storm's writes on PostgreSQL"). The
 * store builds its SQL from its own names with `$n` placeholders, so the same text comes back with
 * other values; a text seen twice on a connection is prepared there under a name and later calls
 * only bind and execute it (PostgreSQL plans it afresh for its first five calls, then keeps a
 * generic plan when that costs no more).
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/** Named statements kept per connection; the least recently used is deallocated past it. */
export const PREPARED_PER_CONNECTION = 128;

/**
 * Texts tracked per connection, named or seen once: bounds the memory of texts seen once (multi-row
 * inserts with a varying number of rows, `in (…)` lists), each of which would otherwise be kept.
 */
const TRACKED_PER_CONNECTION = 4 * PREPARED_PER_CONNECTION;

/** Longer texts are never named: those are the ones whose text grows with their values. */
export const MAX_PREPARED_SQL_LENGTH = 1024;

/**
 * Whether `error` is PostgreSQL refusing a named statement whose result columns changed since it was
 * prepared (a table read with `*` got a column from another node's migration). The statement is
 * forgotten by then, so running the query again prepares the new text; inside a transaction, the
 * whole transaction must run again.
 *
 * @example
 * if (isStalePlan(e) && attempt < 3) continue;
 */
export function isStalePlan(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (
    e?.code === '0A000' &&
    typeof e.message === 'string' &&
    e.message.includes('cached plan must not change result type')
  );
}

/** pg's own record of what it prepared on a connection (undocumented), so as not to prepare it twice. */
function parsedStatements(client: pg.PoolClient): Record<string, unknown> | undefined {
  return (client as unknown as { connection?: { parsedStatements?: Record<string, unknown> } }).connection
    ?.parsedStatements;
}

/**
 * `pool` for Kysely's `PostgresDialect`, with each connection's repeated texts named. A connection's
 * names (`ipg_1`, `ipg_2`, …) are never reused, so a name forgotten after a stale plan is never
 * confused with another text. Cursors (Kysely's streams) and long texts pass through unnamed.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparedStatements(pool) }) });
 */
export function preparedStatements(pool: pg.Pool, max: number = PREPARED_PER_CONNECTION): PostgresPool {
  if (!Number.isInteger(max) || max < 1)
    throw new Error(`A connection keeps a whole number of named statements from 1; got ${max}.`);
  const connections = new WeakMap<pg.PoolClient, Connection>();
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let connection = connections.get(client);
      if (connection === undefined) {
        connection = new Connection(client, max);
        connections.set(client, connection);
      }
      const named = connection;
      return {
        query: ((text: unknown, values?: readonly unknown[]) =>
          typeof text === 'string'
            ? named.query(text, values ?? [])
            : client.query(text as never)) as unknown as PostgresPoolClient['query'],
        release: () => client.release(),
      };
    },
    end: () => pool.end(),
  };
}

/** One connection's texts: a name, or null for a text seen once; least recently used first. */
class Connection {
  readonly #client: pg.PoolClient;
  readonly #max: number;
  readonly #texts = new Map<string, string | null>();
  #named = 0;
  #lastName = 0;

  constructor(client: pg.PoolClient, max: number) {
    this.#client = client;
    this.#max = max;
  }

  async query(text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
    const name = await this.#nameFor(text);
    if (name === undefined) return this.#client.query(text, values as unknown[]);
    try {
      return await this.#client.query({ name, text, values: values as unknown[] });
    } catch (e) {
      if (!isStalePlan(e)) throw e;
      // The server keeps the stale statement until the connection ends; this text gets a new name.
      this.#forget(text, name);
      // Outside a transaction the query can simply run again; inside one, the transaction failed and
      // is run again by the dialect.
      if (this.#client.getTransactionStatus?.() !== 'I') throw e;
      return this.#client.query(text, values as unknown[]);
    }
  }

  async #nameFor(text: string): Promise<string | undefined> {
    if (text.length > MAX_PREPARED_SQL_LENGTH) return undefined;
    const known = this.#texts.get(text);
    if (known === undefined) {
      this.#texts.set(text, null);
      await this.#trim();
      return undefined;
    }
    // Most recently used last: a Map iterates in insertion order.
    this.#texts.delete(text);
    if (known !== null) {
      this.#texts.set(text, known);
      return known;
    }
    const name = `ipg_${++this.#lastName}`;
    this.#texts.set(text, name);
    this.#named++;
    await this.#trim();
    return name;
  }

  /** Drops the least recently used texts past the bounds, deallocating the named ones. */
  async #trim(): Promise<void> {
    for (const [text, name] of this.#texts) {
      if (this.#named <= this.#max && this.#texts.size <= TRACKED_PER_CONNECTION) return;
      if (name === null) {
        this.#texts.delete(text);
        continue;
      }
      if (this.#named <= this.#max) {
        // Over the tracked bound only: keep named texts, drop the oldest seen-once ones.
        continue;
      }
      // Inside a failed transaction nothing but its end runs; the name is dropped at the next trim.
      if (this.#client.getTransactionStatus?.() === 'E') return;
      await this.#client.query(`deallocate "${name}"`);
      this.#forget(text, name);
    }
  }

  #forget(text: string, name: string): void {
    if (this.#texts.get(text) === name) {
      this.#texts.delete(text);
      this.#named--;
    }
    const parsed = parsedStatements(this.#client);
    if (parsed !== undefined) delete parsed[name];
  }
}
