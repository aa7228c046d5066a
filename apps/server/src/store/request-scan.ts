import { read, type StoreContext } from './context.js';
import { invalid } from './errors.js';
import { toBool, toDate } from './rows.js';
import type { RequestScanFilter, ScannedRequest } from './store.js';
import * as v from './validate.js';

/** Rows per page: big enough that a million rows are two hundred queries, small enough to hold. */
const DEFAULT_BATCH = 5000;

/**
 * Reads the request records of one tenant, key or API in a time window, oldest first, a page at a
 * time, handing each page to `onBatch` before the next is read: memory holds one page whatever
 * the window holds. Pages are keyset pages on (at, request_id), so each is one range read of the
 * `requests_tenant` or `requests_api` index, not a rescan from the start. Stops after `maxRows`.
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
  let rows = 0;
  let after: { at: string; id: string } | undefined;
  for (;;) {
    const limit = Math.min(batchSize, maxRows - rows);
    if (limit <= 0) {
      const more = await page(ctx, f, after, 1);
      return { rows, truncated: more.length > 0 };
    }
    const batch = await page(ctx, f, after, limit);
    if (batch.length === 0) return { rows, truncated: false };
    rows += batch.length;
    const last = batch[batch.length - 1] as ScannedRequest;
    after = { at: last.at.toISOString(), id: last.requestId };
    await onBatch(batch);
    if (batch.length < limit) return { rows, truncated: false };
  }
}

type CheckedFilter = ReturnType<typeof checkFilter>;

async function page(
  ctx: StoreContext,
  f: CheckedFilter,
  after: { at: string; id: string } | undefined,
  limit: number,
): Promise<ScannedRequest[]> {
  const rows = await read(ctx, () =>
    ctx.db
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
      .where('at', '<', f.until)
      // The first bound keeps the read a range of the index; the second settles ties on the time.
      .$if(after === undefined, (qb) => qb.where('at', '>=', f.since))
      .$if(after !== undefined, (qb) => {
        const { at, id } = after as { at: string; id: string };
        return qb.where('at', '>=', at).where((eb) => eb.or([eb('at', '>', at), eb('request_id', '>', id)]));
      })
      .orderBy('at')
      .orderBy('request_id')
      .limit(limit)
      .execute(),
  );
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
