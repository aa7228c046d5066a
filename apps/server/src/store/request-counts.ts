/**
 * Allowed requests counted per minute and group instead of logged one by one
 * (docs/architecture/storage.md#counted-requests). Every writer — each worker's recorder thread,
 * each node — adds its counts to one row per (minute, group), so the table grows with the groups
 * a minute sees, not with the requests.
 */
import { createHash } from 'node:crypto';
import { isIpGateError } from '@ipgate/core';
import { type Selectable, sql } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { RequestCountsTable } from './database.js';
import { invalid } from './errors.js';
import { decodeCursor, pageLimit, toPage } from './pagination.js';
import { longText, matchedColumn, matchedFromColumn } from './request-log.js';
import { toDate } from './rows.js';
import type { Page, PageRequest, RequestCount, RequestCountFilter } from './store.js';
import * as v from './validate.js';

const MINUTE_MS = 60_000;

/** Rows per statement on PostgreSQL: 15 columns each stays far below its bound-parameter limit. */
const CHUNK = 500;

/** The columns of a row, in the order {@link UPSERT} binds them. */
const COLUMNS = [
  'id',
  'minute',
  'tenant_id',
  'api_id',
  'key_id',
  'client',
  'method',
  'status',
  'origin',
  'matched',
  'count',
  'first_at',
  'last_at',
  'latency_sum_ms',
  'latency_max_ms',
] as const;

/** What a stored count and a new one for the same row become: added, the earlier first, the later last. */
const ON_CONFLICT = `on conflict ("id") do update set
  "count" = "request_counts"."count" + excluded."count",
  "first_at" = case when excluded."first_at" < "request_counts"."first_at" then excluded."first_at" else "request_counts"."first_at" end,
  "last_at" = case when excluded."last_at" > "request_counts"."last_at" then excluded."last_at" else "request_counts"."last_at" end,
  "latency_sum_ms" = "request_counts"."latency_sum_ms" + excluded."latency_sum_ms",
  "latency_max_ms" = case when excluded."latency_max_ms" > "request_counts"."latency_max_ms" then excluded."latency_max_ms" else "request_counts"."latency_max_ms" end`;

/** SQLite's one prepared upsert, run per row (`StoreDialect.runRows`). */
const UPSERT = `insert into "request_counts" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) values (${COLUMNS.map(() => '?').join(', ')}) ${ON_CONFLICT}`;

type Row = {
  id: string;
  minute: string;
  tenant_id: string | null;
  api_id: string | null;
  key_id: string | null;
  client: string | null;
  method: string;
  status: number;
  origin: string | null;
  matched: string | null;
  count: number;
  first_at: string;
  last_at: string;
  latency_sum_ms: number;
  latency_max_ms: number;
};

/**
 * Adds a batch of counts to the stored ones, in one transaction. Counts of one minute and group in
 * the batch are added together first (PostgreSQL refuses an upsert that touches a row twice), and
 * rows are written in id order, so two writers adding to the same rows cannot deadlock. Bad input
 * rejects the whole batch (400, `index` and `field` say where) and writes nothing.
 *
 * @example
 * await appendRequestCounts(ctx, [{ minute: new Date('2026-12-07T20:31:00Z'), tenantId, apiId, keyId, client: '203.0.113.7', method: 'GET', status: 200, count: 42, firstAt, lastAt, latencySumMs: 120.5, latencyMaxMs: 9.1 }]);
 */
export async function appendRequestCounts(ctx: StoreContext, batch: readonly RequestCount[]): Promise<void> {
  if (!Array.isArray(batch)) throw invalid('batch', 'The request counts must be a list.');
  const merged = new Map<string, Row>();
  batch.forEach((c, index) => {
    let row: Row;
    try {
      row = toRow(c);
    } catch (e) {
      throw isIpGateError(e) ? e.withContext({ index }) : e;
    }
    const had = merged.get(row.id);
    if (had === undefined) merged.set(row.id, row);
    else addInto(had, row);
  });
  if (merged.size === 0) return;
  const rows = [...merged.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const runRows = ctx.dialect.runRows;
  await ctx.dialect.transaction(async (trx) => {
    if (runRows !== undefined) {
      runRows(
        UPSERT,
        rows.map((r) => COLUMNS.map((c) => r[c])),
      );
      return;
    }
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto('request_counts')
        .values(rows.slice(i, i + CHUNK))
        // The same merge as SQLite's statement: one spelling of the rule for both dialects.
        .modifyEnd(sql.raw(ON_CONFLICT))
        .execute();
    }
  });
}

/**
 * A tenant's counts, newest minute first (ties in a stable order), optionally one API's or key's,
 * in a window of minutes: `since` inclusive, `until` exclusive.
 *
 * @example
 * const { items, nextCursor } = await listRequestCounts(ctx, { tenantId, since: new Date(Date.now() - 3_600_000) }, { limit: 100 });
 */
export async function listRequestCounts(
  ctx: StoreContext,
  filter: RequestCountFilter,
  page?: PageRequest,
): Promise<Page<RequestCount>> {
  const limit = pageLimit(page);
  if (typeof filter !== 'object' || filter === null) throw invalid('tenantId', 'tenantId is required.');
  const tenantId = v.text(filter.tenantId, 'tenantId');
  const apiId = filter.apiId === undefined ? undefined : v.text(filter.apiId, 'apiId');
  const keyId = filter.keyId === undefined ? undefined : v.text(filter.keyId, 'keyId');
  const since = filter.since === undefined ? undefined : timeOf(filter.since, 'since');
  const until = filter.until === undefined ? undefined : timeOf(filter.until, 'until');
  const after = page?.cursor === undefined ? undefined : decodeCursor(page.cursor, ['string', 'string']);
  const rows = await read(ctx, () =>
    ctx.db
      .selectFrom('request_counts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .$if(apiId !== undefined, (qb) => qb.where('api_id', '=', apiId as string))
      .$if(keyId !== undefined, (qb) => qb.where('key_id', '=', keyId as string))
      .$if(since !== undefined, (qb) => qb.where('minute', '>=', since as string))
      .$if(until !== undefined, (qb) => qb.where('minute', '<', until as string))
      .$if(after !== undefined, (qb) => {
        const [minute, id] = after as [string, string];
        return qb.where((eb) =>
          eb.or([eb('minute', '<', minute), eb.and([eb('minute', '=', minute), eb('id', '<', id)])]),
        );
      })
      .orderBy('minute', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute(),
  );
  const found = toPage(rows, limit, (r) => [toDate(r.minute).toISOString(), r.id]);
  return { items: found.items.map(countFromRow), nextCursor: found.nextCursor };
}

function timeOf(value: unknown, field: string): string {
  const at = v.dateOrNull(value, field);
  if (at === null) throw invalid(field, `${field} must be a valid time.`);
  return at.toISOString();
}

function countFromRow(row: Selectable<RequestCountsTable>): RequestCount {
  return {
    minute: toDate(row.minute),
    tenantId: row.tenant_id,
    apiId: row.api_id,
    keyId: row.key_id,
    client: row.client,
    method: row.method,
    status: row.status,
    origin: row.origin,
    matched: matchedFromColumn(row.matched),
    count: Number(row.count),
    firstAt: toDate(row.first_at),
    lastAt: toDate(row.last_at),
    latencySumMs: Number(row.latency_sum_ms),
    latencyMaxMs: Number(row.latency_max_ms),
  };
}

function toRow(c: RequestCount): Row {
  if (typeof c !== 'object' || c === null) throw invalid('count', 'A request count must be an object.');
  const minute = v.dateOrNull(c.minute, 'minute');
  if (minute === null || minute.getTime() % MINUTE_MS !== 0) {
    throw invalid('minute', 'minute must be the start of a minute (seconds and milliseconds 0).');
  }
  const firstAt = v.dateOrNull(c.firstAt, 'firstAt');
  const lastAt = v.dateOrNull(c.lastAt, 'lastAt');
  const end = minute.getTime() + MINUTE_MS;
  if (firstAt === null || firstAt < minute || firstAt.getTime() >= end) {
    throw invalid('firstAt', 'firstAt must be a time within the minute.');
  }
  if (lastAt === null || lastAt < firstAt || lastAt.getTime() >= end) {
    throw invalid('lastAt', 'lastAt must be a time within the minute, from firstAt.');
  }
  if (!Number.isSafeInteger(c.count) || c.count < 1)
    throw invalid('count', 'count must be a whole number from 1.');
  if (!Number.isInteger(c.status) || c.status < 100 || c.status > 599) {
    throw invalid('status', 'status must be an HTTP status from 100 to 599.');
  }
  for (const field of ['latencySumMs', 'latencyMaxMs'] as const) {
    const ms = c[field];
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw invalid(field, `${field} must be a number of milliseconds from 0.`);
    }
  }
  const optional = (value: unknown, field: string) => (value === null ? null : v.text(value, field));
  const tenantId = optional(c.tenantId, 'tenantId');
  const apiId = optional(c.apiId, 'apiId');
  const keyId = optional(c.keyId, 'keyId');
  const client = optional(c.client, 'client');
  const method = v.text(c.method, 'method');
  const origin = c.origin === undefined || c.origin === null ? null : longText(c.origin, 'origin');
  const matched = matchedColumn(c.matched);
  const minuteIso = minute.toISOString();
  // The group's digest: JSON of its values, so no value can pass for two (a separator could).
  const group = JSON.stringify([tenantId, apiId, keyId, client, method, c.status, origin, matched]);
  const digest = createHash('sha256').update(group).digest('base64url').slice(0, 24);
  return {
    id: `${minuteIso}/${digest}`,
    minute: minuteIso,
    tenant_id: tenantId,
    api_id: apiId,
    key_id: keyId,
    client,
    method,
    status: c.status,
    origin,
    matched,
    count: c.count,
    first_at: firstAt.toISOString(),
    last_at: lastAt.toISOString(),
    latency_sum_ms: c.latencySumMs,
    latency_max_ms: c.latencyMaxMs,
  };
}

/** Adds `row` (same minute and group) into `into`. */
function addInto(into: Row, row: Row): void {
  into.count += row.count;
  if (row.first_at < into.first_at) into.first_at = row.first_at;
  if (row.last_at > into.last_at) into.last_at = row.last_at;
  into.latency_sum_ms += row.latency_sum_ms;
  if (row.latency_max_ms > into.latency_max_ms) into.latency_max_ms = row.latency_max_ms;
}
