/**
 * A change and its audit events are written together or not at all: on SQLite the audit rows go
 * through the dialect's kept insert, which must never skip one (a skipped row is a lost audit record).
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { appendChangeRows, type NewAudit } from './change-append.js';
import { openSqliteDatabase } from './sqlite.js';

describe('appendChangeRows on SQLite', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function open() {
    const { db, dialect } = await openSqliteDatabase({ path: ':memory:' });
    closers.push(() => db.destroy());
    const count = async (table: 'changes' | 'audit_events'): Promise<number> =>
      Number(
        (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]?.n,
      );
    return { dialect, count };
  }

  const change = { at: new Date(0).toISOString(), tenantId: null, apiId: null, keyId: null, kind: 'test' };
  const audit = (id: string): NewAudit => ({
    id,
    actor: 'test',
    action: 'tenant.updated',
    targetType: 'tenant',
    targetId: 'ten_x',
    before: null,
    after: null,
  });

  it('writes every audit event of the change', async () => {
    const { dialect, count } = await open();
    await dialect.transaction((trx) =>
      appendChangeRows(trx, change, [audit('aud_1'), audit('aud_2')], dialect.insertRows),
    );
    expect(await count('changes')).toBe(1);
    expect(await count('audit_events')).toBe(2);
  });

  it('fails the whole change on a taken audit id instead of dropping the record', async () => {
    const { dialect, count } = await open();
    expect(dialect.insertRows).toBeDefined();
    await dialect.transaction((trx) => appendChangeRows(trx, change, [audit('aud_1')], dialect.insertRows));
    await expect(
      dialect.transaction((trx) =>
        appendChangeRows(trx, change, [audit('aud_2'), audit('aud_1')], dialect.insertRows),
      ),
    ).rejects.toMatchObject({ code: 'IPG_ALREADY_EXISTS' });
    // Neither the second change nor its first audit event stayed.
    expect(await count('changes')).toBe(1);
    expect(await count('audit_events')).toBe(1);
  });
});
