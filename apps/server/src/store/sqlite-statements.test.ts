import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedStatements, MAX_CACHED_SQL_LENGTH } from './sqlite-statements.js';

/** Counts the statements better-sqlite3 really prepares. */
function counted(): { database: BetterSqlite3.Database; prepared: string[] } {
  const database = new BetterSqlite3(':memory:');
  const prepared: string[] = [];
  const prepare = database.prepare.bind(database);
  database.prepare = ((text: string) => {
    prepared.push(text);
    return prepare(text);
  }) as typeof database.prepare;
  return { database, prepared };
}

describe('cachedStatements', () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  it('prepares a text once and runs it again with other values, through Kysely', async () => {
    const { database, prepared } = counted();
    const cache = cachedStatements(database);
    open.push(cache);
    const db = new Kysely<{ t: { id: number; name: string } }>({
      dialect: new SqliteDialect({ database: cache }),
    });
    await sql`create table t (id integer primary key, name text)`.execute(db);
    for (let i = 1; i <= 5; i++)
      await db
        .insertInto('t')
        .values({ id: i, name: `n${i}` })
        .execute();
    const names = [];
    for (let i = 1; i <= 5; i++)
      names.push((await db.selectFrom('t').select('name').where('id', '=', i).executeTakeFirst())?.name);
    expect(names).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(prepared.filter((s) => s.startsWith('insert'))).toHaveLength(1);
    expect(prepared.filter((s) => s.startsWith('select'))).toHaveLength(1);
    // A write's result still says what it changed.
    const result = await db.deleteFrom('t').where('id', '>', 3).executeTakeFirst();
    expect(result.numDeletedRows).toBe(2n);
  });

  it('keeps at most `max` statements, dropping the least recently used', () => {
    const { database, prepared } = counted();
    const cache = cachedStatements(database, 2);
    open.push(cache);
    cache.prepare('select 1');
    cache.prepare('select 2');
    cache.prepare('select 1'); // used again: now the most recent
    cache.prepare('select 3'); // drops `select 2`
    expect(cache.cached).toBe(2);
    cache.prepare('select 1');
    cache.prepare('select 2');
    expect(prepared).toEqual(['select 1', 'select 2', 'select 3', 'select 2']);
  });

  it('never keeps a text longer than MAX_CACHED_SQL_LENGTH (texts that grow with their values)', () => {
    const { database, prepared } = counted();
    const cache = cachedStatements(database);
    open.push(cache);
    const values = (n: number) => Array.from({ length: n }, (_, i) => i);
    const long = `select value from json_each(?) where value in (${values(800).join(', ')})`;
    expect(long.length).toBeGreaterThan(MAX_CACHED_SQL_LENGTH);
    expect(cache.prepare(long).all(['[5, 900]'])).toEqual([{ value: 5 }]);
    expect(cache.prepare(long).all(['[799]'])).toEqual([{ value: 799 }]);
    expect(cache.cached).toBe(0);
    expect(prepared.filter((s) => s === long)).toHaveLength(2);
    cache.prepare('select 1');
    cache.prepare('select 1');
    expect(cache.cached).toBe(1);
  });

  it('gives an iterator a statement of its own, so a cached one can run meanwhile', () => {
    const { database } = counted();
    const cache = cachedStatements(database);
    open.push(cache);
    const text = 'select value from json_each(?)';
    const rows = cache.prepare(text).iterate(['[1,2,3]']);
    const first = rows.next().value;
    expect(cache.prepare(text).all(['[7]'])).toEqual([{ value: 7 }]);
    expect([first, ...rows]).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);
  });

  it('refuses a size that is not a whole number from 1', () => {
    const database = new BetterSqlite3(':memory:');
    open.push(database);
    expect(() => cachedStatements(database, 0)).toThrow(/whole number of statements from 1; got 0/);
  });
});
