import { POSTGRES_TEST_URL, testPostgres } from '@ipgate/test-support/postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isOtherSchemaDropped } from './migrate.js';
import { openPostgresDatabase } from './postgres.js';

describe('isOtherSchemaDropped', () => {
  it("is another schema's drop only for 3F000 naming a schema other than ours", () => {
    const gone = (name: string) => ({ code: '3F000', message: `schema "${name}" does not exist` });
    expect(isOtherSchemaDropped(gone('ipg_test_other'), 'ipgate')).toBe(true);
    expect(isOtherSchemaDropped(gone('ipg_test_other'), undefined)).toBe(true);
    // Our own schema missing is the operator's to fix, not a race to wait out.
    expect(isOtherSchemaDropped(gone('ipgate'), 'ipgate')).toBe(false);
    expect(isOtherSchemaDropped({ code: '42P01', message: 'relation "x" does not exist' }, 'ipgate')).toBe(
      false,
    );
    expect(isOtherSchemaDropped({ code: '3F000', message: 'something else' }, 'ipgate')).toBe(false);
    expect(isOtherSchemaDropped(undefined, 'ipgate')).toBe(false);
    expect(isOtherSchemaDropped(new Error('schema "x" does not exist'), 'ipgate')).toBe(false);
  });
});

const postgres = await testPostgres();

describe.skipIf(postgres.skip)('migrating while other schemas of the database are dropped', () => {
  it('brings a fresh schema up to date every time', async () => {
    // Another process creates and drops schemas with serial columns (what Kysely's introspection
    // resolves by name) as fast as it can while fresh stores migrate: the race of a shared database.
    const churn = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await churn.connect();
    let stop = false;
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `ipg_test_churn_${process.pid}_${i}`;
        await churn.query(`create schema ${name}; create table ${name}.t (id serial primary key)`);
        await churn.query(`drop schema ${name} cascade`);
      }
    })();
    try {
      for (let i = 0; i < 8; i++) {
        const { schema, url, drop } = await postgres.freshSchema('ipg_test_migrate_race');
        try {
          const { dialect } = await openPostgresDatabase({
            connectionString: url,
            schema,
            maxConnections: 1,
          });
          await dialect.destroy();
        } finally {
          await drop();
        }
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
    }
  }, 120_000);
});
