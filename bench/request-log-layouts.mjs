/**
 * The request log's table layouts compared: CPU per record of raw better-sqlite3 inserts of the
 * gateway's row (ids shaped like the gateway's, random), and `EXPLAIN QUERY PLAN` of the log's reads
 * with and without the `at` index. Measures SQLite alone, to decide whether a schema change is worth it.
 *
 *   node bench/request-log-layouts.mjs [layout=all] [records=50000] [prefill=100000] [ids=random] [sync=full] [batch=500] [matched=1]
 *   node bench/request-log-layouts.mjs plans
 *
 * Layouts: current (text primary key + at, tenant, api indexes), intpk (integer rowid key, request id
 * in its own unique index), noat (current without the `at` index), worowid (current, WITHOUT ROWID),
 * noidx (no secondary index: the floor), noapi (current without the per-API index), bytime (WITHOUT
 * ROWID keyed by (at, request_id), so the table is the `at` index; the request id in a unique index). Ids: `random` (`req_` + 16 random base64url characters, the
 * gateway's ids until 2026-12-07) or `time` (the gateway's time-ordered ids, from the built
 * `apps/server/dist`). Sync: the connection's `synchronous` setting, `full` or `normal`. Batch: rows per
 * transaction (the recorder thread writes up to 2,000). Matched: 1 (a short stand-in, the default of the
 * earlier figures) or 3 (the gateway bench's three entries, as the store writes them). CPU time of this process, so it compares well on a busy box;
 * run the layouts alternately, more than once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const COLUMNS =
  'at text not null, tenant_id text, api_id text, key_id text, client text, method text not null, ' +
  'path text not null, status integer not null, decision text not null, stage text, reason text, ' +
  'latency_ms double precision not null, would_deny integer not null default 0, origin text, matched text';
const TENANT = 'create index requests_tenant on requests(tenant_id, at, request_id)';
const API = 'create index requests_api on requests(api_id, at, request_id)';
const AT = 'create index requests_at on requests(at)';
const LAYOUTS = {
  current: [`create table requests (request_id text primary key, ${COLUMNS})`, AT, TENANT, API],
  intpk: [
    `create table requests (seq integer primary key, request_id text not null, ${COLUMNS})`,
    'create unique index requests_id on requests(request_id)',
    AT,
    TENANT,
    API,
  ],
  noat: [`create table requests (request_id text primary key, ${COLUMNS})`, TENANT, API],
  worowid: [`create table requests (request_id text primary key, ${COLUMNS}) without rowid`, AT, TENANT, API],
  noidx: [`create table requests (request_id text primary key, ${COLUMNS})`],
  // Without the per-API index: an API's reads would go through `at`.
  noapi: [`create table requests (request_id text primary key, ${COLUMNS})`, AT, TENANT],
  // Keyed by time: the table is the `at` index, the request id has its own unique index.
  bytime: [
    `create table requests (request_id text not null, ${COLUMNS}, primary key (at, request_id)) without rowid`,
    'create unique index requests_id on requests(request_id)',
    'create index requests_tenant on requests(tenant_id, at)',
    'create index requests_api on requests(api_id, at)',
  ],
};
const NAMES = [
  'request_id',
  'at',
  'tenant_id',
  'api_id',
  'key_id',
  'client',
  'method',
  'path',
  'status',
  'decision',
  'stage',
  'reason',
  'latency_ms',
  'would_deny',
  'origin',
  'matched',
];
// The log's reads as the store builds them (request-log.ts, request-scan.ts, retention.ts).
const READS = {
  'retention delete':
    'delete from requests where request_id in (select request_id from requests where at < ? order by at limit 1000)',
  'list, tenant': 'select * from requests where tenant_id = ? order by at desc, request_id desc limit 101',
  'list, api': 'select * from requests where api_id = ? order by at desc, request_id desc limit 101',
  'scan, key only':
    'select request_id from requests where key_id = ? and at >= ? and at < ? order by at, request_id limit 500',
};

const [
  which = 'all',
  records = '50000',
  prefill = '100000',
  ids = 'random',
  sync = 'full',
  batchArg = '500',
  matchedArg = '1',
] = process.argv.slice(2);
const BATCH = Number(batchArg);
const MATCHED =
  matchedArg === '3'
    ? JSON.stringify([
        { list: 'api-allowlist', entryId: 'ent_0123456789abcdef' },
        { list: 'tenant', entryId: 'ent_0123456789abcdeg' },
        { list: 'key-ips', entryId: 'kip_0123456789abcdef' },
      ])
    : '[["api-allowlist","ent_0123456789abcdef"]]';
const ID_SOURCES = {
  random: async () => () => `req_${randomBytes(12).toString('base64url')}`,
  time: async () => {
    const { createRequestIds } = await import('../apps/server/dist/gateway/request-ids.js');
    const source = createRequestIds();
    return () => source.next();
  },
};
if (!(ids in ID_SOURCES)) throw new Error(`Unknown ids ${ids}: use random or time.`);
if (sync !== 'full' && sync !== 'normal') throw new Error(`Unknown sync ${sync}: use full or normal.`);
const nextId = await ID_SOURCES[ids]();
if (which === 'plans') plans();
else
  for (const name of which === 'all' ? Object.keys(LAYOUTS) : [which])
    measure(name, Number(records), Number(prefill));

function measure(name, total, before) {
  if (!(name in LAYOUTS))
    throw new Error(`Unknown layout ${name}: use one of ${Object.keys(LAYOUTS).join(', ')}, all or plans.`);
  const dir = mkdtempSync(join(os.tmpdir(), 'ipgate-layouts-'));
  const db = new Database(join(dir, 'log.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${sync}`);
    for (const statement of LAYOUTS[name]) db.exec(statement);
    const insert = db.prepare(
      `insert into requests (${NAMES.join(', ')}) values (${NAMES.map(() => '?').join(', ')}) on conflict(request_id) do nothing`,
    );
    const row = () => [
      nextId(),
      new Date().toISOString(),
      `ten_${(Math.random() * 20) | 0}`,
      'api_0123456789abcdef',
      'key_0123456789abcdef',
      '127.0.0.1',
      'GET',
      '/v1/thing',
      200,
      'allow',
      'complete',
      'allowed',
      1.234,
      0,
      null,
      MATCHED,
    ];
    const write = (n) => {
      for (let i = 0; i < n; i += BATCH) {
        const rows = Array.from({ length: Math.min(BATCH, n - i) }, row);
        db.exec('begin immediate');
        for (const r of rows) insert.run(r);
        db.exec('commit');
      }
    };
    write(before);
    const started = process.cpuUsage();
    write(total);
    const cpu = process.cpuUsage(started);
    console.log(
      `${name}, ${ids} ids, synchronous ${sync}, ${BATCH} rows per transaction, ${matchedArg} matched: ${((cpu.user + cpu.system) / total).toFixed(1)} µs CPU per record` +
        ` (user ${(cpu.user / total).toFixed(1)}, system ${(cpu.system / total).toFixed(1)}; ${total} after ${before})`,
    );
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function plans() {
  for (const name of ['current', 'noat', 'noapi', 'worowid', 'bytime']) {
    const db = new Database(':memory:');
    for (const statement of LAYOUTS[name]) db.exec(statement);
    console.log(`--- ${name}`);
    for (const [read, sql] of Object.entries(READS)) {
      const params = Array((sql.match(/\?/g) ?? []).length).fill('x');
      const plan = db.prepare(`explain query plan ${sql}`).all(...params);
      console.log(`${read}: ${plan.map((r) => r.detail).join(' | ')}`);
    }
    db.close();
  }
}
