import { testPostgres } from '@ipgate/test-support/postgres';
import type { PostgresPool } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreDialect } from './context.js';
import { openPostgresDatabase } from './postgres.js';
import { isStalePlan, preparedStatements } from './postgres-statements.js';

const postgres = await testPostgres();

describe.skipIf(postgres.skip)('named statements on PostgreSQL', () => {
  let url: string;
  let schema: string;
  let drop: () => Promise<void>;
  const pools: pg.Pool[] = [];

  /** One connection, so every query below lands on the same session. */
  const onePool = (max?: number): PostgresPool => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pools.push(pool);
    return preparedStatements(pool, max);
  };
  const prepared = async (client: Awaited<ReturnType<PostgresPool['connect']>>) =>
    (
      await client.query<{ statement: string }>(
        'select statement from pg_prepared_statements where name like $1 order by prepare_time',
        ['ipg_%'],
      )
    ).rows.map((r) => r.statement);

  beforeAll(async () => {
    ({ url, schema, drop } = await postgres.freshSchema('ipg_test_named'));
  });
  afterAll(async () => {
    for (const pool of pools) await pool.end();
    await drop?.();
  });

  it('prepares a text the second time a connection runs it, and reuses it after', async () => {
    const client = await onePool().connect();
    try {
      const text = 'select $1::int + 1 as v';
      expect((await client.query(text, [1])).rows).toEqual([{ v: 2 }]);
      expect(await prepared(client)).not.toContain(text);
      expect((await client.query(text, [2])).rows).toEqual([{ v: 3 }]);
      expect((await client.query(text, [3])).rows).toEqual([{ v: 4 }]);
      // Once, whatever the number of calls (the catalogue read itself is prepared by now too).
      expect((await prepared(client)).filter((s) => s === text)).toHaveLength(1);
    } finally {
      client.release();
    }
  });

  it('keeps at most its bound of named statements on a connection, deallocating the oldest', async () => {
    const client = await onePool(2).connect();
    try {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 4; i++) {
          const { rows } = await client.query(`select $1::int * ${i} as v`, [round + 1]);
          expect(rows).toEqual([{ v: (round + 1) * i }]);
        }
      }
      expect((await prepared(client)).length).toBeLessThanOrEqual(2);
    } finally {
      client.release();
    }
  });

  it('never names a long text', async () => {
    const client = await onePool().connect();
    try {
      const text = `select $1::text as v -- ${'x'.repeat(1100)}`;
      for (let i = 0; i < 3; i++) expect((await client.query(text, ['a'])).rows).toEqual([{ v: 'a' }]);
      expect(await prepared(client)).not.toContain(text);
    } finally {
      client.release();
    }
  });

  it('runs a query again when another session changed the columns it reads', async () => {
    const client = await onePool().connect();
    try {
      await client.query(`create table "${schema}".stale_once (a int)`, []);
      await client.query(`insert into "${schema}".stale_once values (1)`, []);
      const text = `select * from "${schema}".stale_once where a = $1`;
      await client.query(text, [1]);
      await client.query(text, [1]);
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      await other.query(`alter table "${schema}".stale_once add column b text default 'new'`);
      await other.end();
      expect((await client.query(text, [1])).rows).toEqual([{ a: 1, b: 'new' }]);
    } finally {
      client.release();
    }
  });

  it('runs a write transaction again when a statement of it went stale', async () => {
    const { dialect, db } = await openPostgresDatabase({ connectionString: url, schema, maxConnections: 1 });
    const store: StoreDialect = dialect;
    try {
      const read = () =>
        store.transaction((trx) =>
          trx.selectFrom('tenants').selectAll().where('id', '=', 'ten_none').execute(),
        );
      await read();
      await read();
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      await other.query(`alter table "${schema}".tenants add column stale_probe int`);
      await other.end();
      let attempts = 0;
      const rows = await store.transaction(async (trx) => {
        attempts++;
        return trx.selectFrom('tenants').selectAll().where('id', '=', 'ten_none').execute();
      });
      expect(rows).toEqual([]);
      expect(attempts).toBe(2);
      await db.schema.alterTable('tenants').dropColumn('stale_probe').execute();
    } finally {
      await store.destroy();
    }
  });

  it('names no statement when prepared statements are off (a pooler in transaction mode)', async () => {
    const prepared = async (preparedStatements: boolean) => {
      const { dialect, db } = await openPostgresDatabase({
        connectionString: url,
        schema,
        maxConnections: 1,
        preparedStatements,
      });
      try {
        for (let i = 0; i < 3; i++)
          await db.selectFrom('tenants').selectAll().where('id', '=', 'ten_none').execute();
        // One connection: this reads the session that ran the queries above.
        const { rows } = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_prepared_statements`.execute(db);
        return rows[0]?.n;
      } finally {
        await dialect.destroy();
      }
    };
    expect(await prepared(true)).toBeGreaterThan(0);
    expect(await prepared(false)).toBe(0);
  });

  it('tells a stale plan from other errors', () => {
    expect(isStalePlan({ code: '0A000', message: 'cached plan must not change result type' })).toBe(true);
    expect(isStalePlan({ code: '0A000', message: 'something else not supported' })).toBe(false);
    expect(isStalePlan(new Error('cached plan must not change result type'))).toBe(false);
    expect(isStalePlan(null)).toBe(false);
  });
});
