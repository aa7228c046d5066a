import type { Kysely } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { Database } from './database.js';
import { invalid } from './errors.js';
import { toBool, toDate } from './rows.js';
import type { RequestScanFilter, ScannedRequest } from './store.js';
import * as v from './validate.js';

/** Rows per page: big enough that a million rows are two hundred queries, small enough to hold. */
const DEFAULT_BATCH = 5000;

/**
 * The first time slice a page reads. Each read is bounded by a slice of time as well as by the page
 * size, and the slice adapts (halved after a full page, doubled after a sparse one): then no query
 * covers much more than a page of rows whatever plan the database picks. PostgreSQL, with statistics
 * that do not know the log grew, picks a bitmap scan of the whole range followed by a sort — per page,
 * for a range that ran to the end of the window, that read the rest of the window every time.
 */
const FIRST_SPAN_MS = 60_000;

/**
 * Reads the request records of one tenant, key or API in a time window, oldest first, a page at a
 * time, handing each page to `onBatch` before the next is read: memory holds one page whatever
 * the window holds. Pages are keyset pages on (at, request_id) within an adaptive slice of time, so
 * each is one short range read of the `requests_tenant` or `requests_api` index, never a rescan from
 * the start nor to the end. Stops after `maxRows`.
 *
 * @example
 * await scanRequests(ctx, { tenantId, since, until }, (rows) => { for (const r of rows) tally(r); });
 */
export async function scanRequests(
  ctx: StoreContext,
  filter: RequestScanFilter,
  onBatch: (rows: readonly ScannedRequest[]) => void | Promise<void>,
  options: { readonly batchSize?: number | undefined; readonly maxRows?: number | undefined } = {},
): Promise<{ readonly rows: number; readonly truncated: boolean }> {
  const f = checkFilter(filter);
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  const until = Date.parse(f.until);
  let rows = 0;
  // Where the next page starts: a time, and within it the last id read (none: the time inclusive).
  let from = Date.parse(f.since);
  let afterId: string | undefined;
  let span = FIRST_SPAN_MS;
  for (;;) {
    const limit = Math.min(batchSize, maxRows - rows);
    if (limit <= 0) {
      const more = await page(ctx, f, from, afterId, until, 1);
      return { rows, truncated: more.length > 0 };
    }
    const end = Math.min(until, from + span);
    const batch = await page(ctx, f, from, afterId, end, limit);
    rows += batch.length;
    if (batch.length > 0) await onBatch(batch);
    if (batch.length === limit) {
      const last = batch[batch.length - 1] as ScannedRequest;
      from = last.at.getTime();
      afterId = last.requestId;
      // A full page: the slice was busy; the next one is narrower, so no read covers much more than a page.
      span = Math.max(1, Math.floor(span / 2));
      continue;
    }
    // The slice is read to its end.
    if (end >= until) return { rows, truncated: false };
    from = end;
    afterId = undefined;
    if (batch.length < limit / 2) span *= 2;
  }
}

type CheckedFilter = ReturnType<typeof checkFilter>;

function page(
  ctx: StoreContext,
  f: CheckedFilter,
  from: number,
  afterId: string | undefined,
  end: number,
  limit: number,
): Promise<ScannedRequest[]> {
  return read(ctx, () =>
    selectRequests(ctx.db, f, new Date(from).toISOString(), afterId, new Date(end).toISOString(), limit),
  );
}

/**
 * The records of one tenant, key or API from `since` (only ids after `afterId` at that very time)
 * to before `until`, oldest first, at most `limit` of them (all without one): one page of a scan.
 * The benchmark reads a whole window with it to compare with the paged scan.
 *
 * @example
 * const rows = await selectRequests(db, { tenantId }, since.toISOString(), undefined, until.toISOString());
 */
export async function selectRequests(
  db: Kysely<Database>,
  f: Pick<RequestScanFilter, 'tenantId' | 'apiId' | 'keyId'>,
  since: string,
  afterId: string | undefined,
  until: string,
  limit?: number,
): Promise<ScannedRequest[]> {
  const rows = await db
    .selectFrom('requests')
    .select([
      'request_id',
      'at',
      'tenant_id',
      'api_id',
      'key_id',
      'client',
      'origin',
      'stage',
      'decision',
      'would_deny',
    ])
    .$if(f.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', f.tenantId as string))
    .$if(f.apiId !== undefined, (qb) => qb.where('api_id', '=', f.apiId as string))
    .$if(f.keyId !== undefined, (qb) => qb.where('key_id', '=', f.keyId as string))
    .where('at', '>=', since)
    .where('at', '<', until)
    // Ties on the time the last page ended at: only the ids after the last one read.
    .$if(afterId !== undefined, (qb) =>
      qb.where((eb) => eb.or([eb('at', '>', since), eb('request_id', '>', afterId as string)])),
    )
    .orderBy('at')
    .orderBy('request_id')
    .$if(limit !== undefined, (qb) => qb.limit(limit as number))
    .execute();
  return rows.map((r) => ({
    requestId: r.request_id,
    at: toDate(r.at),
    tenantId: r.tenant_id,
    apiId: r.api_id,
    keyId: r.key_id,
    client: r.client,
    origin: r.origin,
    stage: r.stage,
    decision: toBool(r.would_deny) ? 'would-deny' : r.decision,
  }));
}

function checkFilter(filter: RequestScanFilter) {
  const since = v.dateOrNull(filter.since, 'since');
  const until = v.dateOrNull(filter.until, 'until');
  if (since === null) throw invalid('since', 'since must be a valid time.');
  if (until === null) throw invalid('until', 'until must be a valid time.');
  if (until <= since) throw invalid('until', 'until must be after since.');
  if (filter.tenantId === undefined && filter.apiId === undefined) {
    throw invalid('tenantId', 'A scan names a tenant or an API, so it reads one index range.');
  }
  return {
    tenantId: filter.tenantId === undefined ? undefined : v.text(filter.tenantId, 'tenantId'),
    apiId: filter.apiId === undefined ? undefined : v.text(filter.apiId, 'apiId'),
    keyId: filter.keyId === undefined ? undefined : v.text(filter.keyId, 'keyId'),
    since: since.toISOString(),
    until: until.toISOString(),
  };
}
