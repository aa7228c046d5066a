import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from './database.js';
import { sqliteStoreDialect } from './sqlite.js';

describe('the SQLite dialect’s insertRows', () => {
  const open: Kysely<Database>[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.destroy();
  });

  function scratch() {
    const database = new BetterSqlite3(':memory:');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    open.push(db);
    database.exec('create table t (id text primary key, a text not null, b text not null, unique (a, b))');
    const dialect = sqliteStoreDialect(db, database);
    const insertRows = dialect.insertRows;
    if (insertRows === undefined) throw new Error('the SQLite dialect inserts rows itself');
    return { db, dialect, insertRows };
  }

  it('says per row whether it was inserted; a taken conflict column skips the row', async () => {
    const { db, dialect, insertRows } = scratch();
    const inserted = await dialect.transaction(async () =>
      insertRows('t', ['id', 'a', 'b'], 'id', [
        ['1', 'x', 'y'],
        ['1', 'x', 'z'],
        ['2', 'x', 'z'],
      ]),
    );
    expect(inserted).toEqual([true, false, true]);
    const rows = await sql<{ id: string; b: string }>`select id, b from t order by id`.execute(db);
    expect(rows.rows).toEqual([
      { id: '1', b: 'y' },
      { id: '2', b: 'z' },
    ]);
  });

  it('takes several conflict columns together, as a unique constraint over them', async () => {
    const { db, dialect, insertRows } = scratch();
    const inserted = await dialect.transaction(async () =>
      insertRows(
        't',
        ['id', 'a', 'b'],
        ['a', 'b'],
        [
          ['1', 'x', 'y'],
          ['2', 'x', 'y'],
          ['3', 'x', 'z'],
        ],
      ),
    );
    expect(inserted).toEqual([true, false, true]);
    const rows = await sql<{ id: string }>`select id from t order by id`.execute(db);
    expect(rows.rows.map((r) => r.id)).toEqual(['1', '3']);
  });

  it('fails on a constraint that is not the conflict target, as a plain insert does', async () => {
    const { dialect, insertRows } = scratch();
    await expect(
      dialect.transaction(async () =>
        insertRows('t', ['id', 'a', 'b'], 'id', [
          ['1', 'x', 'y'],
          ['2', 'x', 'y'],
        ]),
      ),
    ).rejects.toMatchObject({ code: 'IPG_ALREADY_EXISTS' });
  });

  it('with no conflict target skips nothing: a taken key fails the transaction, and nothing of it stays', async () => {
    const { db, dialect, insertRows } = scratch();
    await expect(
      dialect.transaction(async () =>
        insertRows('t', ['id', 'a', 'b'], null, [
          ['1', 'x', 'y'],
          ['1', 'x', 'z'],
        ]),
      ),
    ).rejects.toMatchObject({ code: 'IPG_ALREADY_EXISTS' });
    const rows = await sql<{ id: string }>`select id from t`.execute(db);
    expect(rows.rows).toEqual([]);
  });

  it('updateRows sets the columns of each row found by its key, through one kept statement', async () => {
    const { db, dialect, insertRows } = scratch();
    const updateRows = dialect.updateRows;
    if (updateRows === undefined) throw new Error('the SQLite dialect updates rows itself');
    await dialect.transaction(async () => {
      insertRows('t', ['id', 'a', 'b'], 'id', [
        ['1', 'x', 'y'],
        ['2', 'x', 'z'],
      ]);
      updateRows('t', ['a', 'b'], 'id', [
        ['p', 'q', '2'],
        ['r', 's', '3'],
      ]);
    });
    const rows = await sql<{ id: string; a: string; b: string }>`select id, a, b from t order by id`.execute(
      db,
    );
    expect(rows.rows).toEqual([
      { id: '1', a: 'x', b: 'y' },
      { id: '2', a: 'p', b: 'q' },
    ]);
  });
});
