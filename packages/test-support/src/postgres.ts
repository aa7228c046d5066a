/**
 * PostgreSQL for tests that run `ipgate` as a separate process: a fresh schema per test, named in a
 * connection URL the command accepts (`DATABASE_URL` / `--database-url`), dropped afterwards.
 *
 * PostgreSQL is expected at `IPGATE_TEST_DATABASE_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached the tests that need it are
 * skipped with a loud warning, except under `CI=true`, where they run and fail.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where the test PostgreSQL lives. */
export const POSTGRES_TEST_URL =
  process.env['IPGATE_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** One throwaway schema. */
export interface PostgresSchema {
  readonly schema: string;
  /** A connection URL whose search path is the schema. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Whether the tests may use PostgreSQL here, and how to get a schema. */
export interface TestPostgres {
  /** True when PostgreSQL is unreachable and this is not CI: skip the tests that need it. */
  readonly skip: boolean;
  /**
   * A fresh, empty schema named `prefix` and random characters (default `ipg_test_` and the process
   * id); throws when PostgreSQL is unreachable.
   */
  freshSchema(prefix?: string): Promise<PostgresSchema>;
}

let probe: Promise<string | undefined> | undefined;

/**
 * PostgreSQL for this test file.
 *
 * @example
 * const postgres = await testPostgres();
 * it.skipIf(postgres.skip)('works on PostgreSQL', async () => {
 *   const { url, drop } = await postgres.freshSchema();
 *   try { await run(['serve', '--database-url', url]); } finally { await drop(); }
 * });
 */
export async function testPostgres(): Promise<TestPostgres> {
  probe ??= reachable();
  const problem = await probe;
  const ci = process.env['CI'] === 'true';
  if (problem !== undefined) {
    const banner = '!'.repeat(78);
    console.warn(
      `\n${banner}\n  PostgreSQL at ${POSTGRES_TEST_URL} is not reachable (${problem}).\n` +
        (ci
          ? '  CI=true: the tests that need PostgreSQL will FAIL, as they must not be skipped in CI.\n'
          : '  The tests that need PostgreSQL are SKIPPED. Start it or set IPGATE_TEST_DATABASE_URL.\n') +
        `${banner}\n`,
    );
  }
  return {
    skip: problem !== undefined && !ci,
    async freshSchema(prefix = `ipg_test_${process.pid}`) {
      if (problem !== undefined)
        throw new Error(`PostgreSQL at ${POSTGRES_TEST_URL} is not reachable: ${problem}`);
      if (!/^[a-z_][a-z0-9_]*$/.test(prefix))
        throw new Error(`a schema prefix is lower-case letters, digits and _: ${JSON.stringify(prefix)}`);
      const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
      await run(`create schema "${schema}"`);
      const separator = POSTGRES_TEST_URL.includes('?') ? '&' : '?';
      return {
        schema,
        url: `${POSTGRES_TEST_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
        drop: () => run(`drop schema if exists "${schema}" cascade`),
      };
    },
  };
}

async function run(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function reachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    // An AggregateError (every address refused) has an empty message.
    return e instanceof Error ? e.message || e.name : String(e);
  } finally {
    await client.end().catch(() => {});
  }
}
