import { testPostgres } from '@ipgate/test-support/postgres';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CHUNK, type NewAudit, type NewChange } from './change-append.js';
import type { StoreDialect } from './context.js';
import type { Database } from './database.js';
import { openPostgresDatabase } from './postgres.js';
import { appendChangePostgres } from './postgres-change-append.js';

const postgres = await testPostgres();

const change = (kind: string): NewChange => ({
  at: new Date().toISOString(),
  tenantId: 'ten_x',
  apiId: null,
  keyId: null,
  kind,
});
const audit = (i: number): NewAudit => ({
  id: `aud_append_${i}`,
  actor: 'test',
  action: 'tenant.updated',
  targetType: 'tenant',
  targetId: `ten_${i}`,
  before: i % 2 === 0 ? null : JSON.stringify({ i }),
  after: JSON.stringify({ i, name: 'after' }),
});

/** A promise and the functions that settle it, for holding a transaction open. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

// The changes lock and channel are the database's, not the schema's: other stores in the same
// database (other test files running meanwhile, other lanes on this machine) take the lock and
// notify on the channel too. The tests of the lock and the notification use a key and a channel of
// their own, so that they see this file's changes only.
const LOCK_KEY = 0x7465_0000 + (process.pid % 0xffff);
const CHANNEL = `ipgate_changes_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;

describe.skipIf(postgres.skip)("PostgreSQL's one-statement change append", () => {
  let db: Kysely<Database>;
  let dialect: StoreDialect;
  let drop: () => Promise<void>;
  let url: string;
  let announce: { lockKey: number; channel: string; schema: string };

  beforeAll(async () => {
    const schema = await postgres.freshSchema('ipg_test_append');
    drop = schema.drop;
    url = schema.url;
    announce = { lockKey: LOCK_KEY, channel: CHANNEL, schema: schema.schema };
    ({ db, dialect } = await openPostgresDatabase({
      connectionString: url,
      schema: schema.schema,
      maxConnections: 4,
    }));
  });
  afterAll(async () => {
    await dialect?.destroy();
    await drop?.();
  });

  it('writes the change and every audit event under its version, past one statement of audits', async () => {
    const audits = Array.from({ length: AUDIT_CHUNK + 3 }, (_, i) => audit(i));
    const version = await dialect.transaction((trx) => dialect.appendChange(trx, change('batch'), audits));
    const row = await db.selectFrom('changes').selectAll().where('version', '=', version).executeTakeFirst();
    expect(row).toMatchObject({ tenant_id: 'ten_x', api_id: null, key_id: null, kind: 'batch' });
    const written = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('change_version', '=', version)
      .orderBy('target_id')
      .execute();
    expect(written).toHaveLength(AUDIT_CHUNK + 3);
    const last = written.find((a) => a.id === `aud_append_${AUDIT_CHUNK + 2}`);
    expect(last).toMatchObject({ actor: 'test', tenant_id: 'ten_x', target_id: `ten_${AUDIT_CHUNK + 2}` });
    expect(last?.after).toEqual({ i: AUDIT_CHUNK + 2, name: 'after' });
    expect(written.find((a) => a.id === 'aud_append_1')?.before).toEqual({ i: 1 });
    expect(written.find((a) => a.id === 'aud_append_0')?.before).toBeNull();
    expect(new Date(String(written[0]?.at)).getTime()).toBe(new Date(String(row?.at)).getTime());
  });

  it('appends a change with no audit event', async () => {
    const version = await dialect.transaction((trx) => dialect.appendChange(trx, change('bare'), []));
    expect(
      (await db.selectFrom('changes').select('kind').where('version', '=', version).execute())[0],
    ).toEqual({
      kind: 'bare',
    });
  });

  it('announces the version on commit, and nothing for a rollback', async () => {
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => {
        if (n.channel === CHANNEL) heard.push(String(n.payload));
      });
      await listener.query(`listen ${CHANNEL}`);
      await expect(
        dialect.transaction(async (trx) => {
          await appendChangePostgres(trx, change('rolled back'), [audit(900)], announce);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      const version = await dialect.transaction((trx) =>
        appendChangePostgres(trx, change('kept'), [audit(901)], announce),
      );
      for (let i = 0; i < 200 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(heard).toEqual([`${announce.schema}:${version}`]);
    } finally {
      await listener.end();
    }
  });

  it('hands out no version to a change waiting for the changes lock', async () => {
    // The order that keeps followers right: lock, then version. Were the version taken first, a
    // waiting writer would hold a version below one that commits before it.
    const held = deferred();
    const appended = deferred();
    let holder = 0;
    const first = dialect.transaction(async (trx) => {
      const v = await appendChangePostgres(trx, change('first'), [audit(910)], announce);
      holder = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]?.pid ?? 0;
      appended.resolve();
      await held.promise;
      return v;
    });
    await appended.promise;
    const lastHandedOut = async () =>
      Number(
        (await sql<{ v: string }>`select last_value as v from changes_version_seq`.execute(db)).rows[0]?.v,
      );
    const before = await lastHandedOut();
    let secondDone = false;
    const second = dialect
      .transaction((trx) => appendChangePostgres(trx, change('second'), [audit(911)], announce))
      .finally(() => {
        secondDone = true;
      });
    try {
      // Until the second statement is seen waiting for the first transaction.
      let waiting = 0;
      for (let i = 0; i < 300 && waiting === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
        const rows = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity where ${holder} = any(pg_blocking_pids(pid))`.execute(
          db,
        );
        waiting = rows.rows[0]?.n ?? 0;
      }
      expect(waiting).toBe(1);
      expect(secondDone).toBe(false);
      expect(await lastHandedOut()).toBe(before);
    } finally {
      // Released whatever happened, or the open transaction keeps the pool from closing.
      held.resolve();
    }
    const [v1, v2] = await Promise.all([first, second]);
    expect(v1).toBe(before);
    expect(v2).toBe(before + 1);
  });
});
