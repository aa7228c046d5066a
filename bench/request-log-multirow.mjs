/**
 * The request log's insert in SQLite alone (better-sqlite3, the table and indexes of the `requests`
 * migration, WAL, `synchronous = FULL`, 2,000 rows per `BEGIN IMMEDIATE`, time-ordered ids): one
 * prepared statement run per row (what the store does) against one prepared 25-row `VALUES`
 * statement run per 25 rows, two databases alternating; CPU per row, the row's own making included.
 *
 *   node bench/request-log-multirow.mjs [rows=60000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

const N = Number(process.argv[2] ?? 60_000);
const K = 25;
const dir = mkdtempSync(join(os.tmpdir(), 'ipgate-multirow-'));
const schema = `CREATE TABLE "requests" ("request_id" text primary key, "at" text not null, "tenant_id" text, "api_id" text, "key_id" text, "client" text, "method" text not null, "path" text not null, "status" integer not null, "decision" text not null check ("decision" in ('allow', 'deny')), "stage" text, "reason" text, "latency_ms" double precision not null, "would_deny" integer default 0 not null, "origin" text, "matched" text);
CREATE INDEX "requests_at" on "requests" ("at");
CREATE INDEX "requests_tenant" on "requests" ("tenant_id", "at", "request_id");
CREATE INDEX "requests_api" on "requests" ("api_id", "at", "request_id");`;
const cols = [
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
  'would_deny',
  'stage',
  'reason',
  'latency_ms',
  'origin',
  'matched',
];
const matched = JSON.stringify([
  { list: 'api-allowlist', entryId: 'ent_0123456789abcdef' },
  { list: 'tenant', entryId: 'ent_0123456789abcdeg' },
  { list: 'key-ips', entryId: 'kip_0123456789abcdef' },
]);
let serial = 0;
const row = () => {
  serial++;
  const t = Date.now();
  return [
    `req_${(1e15 + t * 1000 + (serial % 1000)).toString(36)}${serial}`,
    new Date(t).toISOString(),
    'ten_0123456789abcdef',
    'api_0123456789abcdef',
    'key_0123456789abcdef',
    '127.0.0.1',
    'GET',
    '/v1/thing',
    200,
    'allow',
    0,
    'complete',
    'allowed',
    1.234,
    null,
    matched,
  ];
};
const placeholders = `(${cols.map(() => '?').join(',')})`;
function open(name) {
  const db = new BetterSqlite3(join(dir, `${name}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(schema);
  const into = `insert into requests (${cols.join(',')}) values`;
  return {
    db,
    one: db.prepare(`${into} ${placeholders} on conflict (request_id) do nothing`),
    many: db.prepare(`${into} ${Array(K).fill(placeholders).join(',')} on conflict (request_id) do nothing`),
  };
}
const variants = { single: open('single'), multi: open('multi') };
function write(name, n) {
  const { db, one, many } = variants[name];
  for (let b = 0; b < n; b += 2000) {
    const rows = Array.from({ length: 2000 }, row);
    db.exec('begin immediate');
    if (name === 'single') for (const r of rows) one.run(r);
    else {
      let i = 0;
      for (; i + K <= rows.length; i += K) many.run(rows.slice(i, i + K).flat());
      for (; i < rows.length; i++) one.run(rows[i]);
    }
    db.exec('commit');
  }
}
try {
  for (const name of Object.keys(variants)) write(name, 20_000); // warm-up
  const results = { single: [], multi: [] };
  for (let round = 0; round < 4; round++) {
    for (const name of round % 2 === 0 ? ['single', 'multi'] : ['multi', 'single']) {
      const before = process.cpuUsage();
      write(name, N);
      const cpu = process.cpuUsage(before);
      results[name].push(((cpu.user + cpu.system) / N).toFixed(2));
    }
  }
  console.log(
    `µs CPU per row, 4 alternating rounds: one row per run ${results.single.join(' / ')}; ${K} rows per run ${results.multi.join(' / ')}`,
  );
} finally {
  for (const { db } of Object.values(variants)) db.close();
  rmSync(dir, { recursive: true, force: true });
}
