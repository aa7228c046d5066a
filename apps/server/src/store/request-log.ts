import { isIpGateError } from '@ipgate/core';
import type { Selectable } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { RequestsTable } from './database.js';
import { invalid, notFound } from './errors.js';
import { decodeCursor, pageLimit, toPage } from './pagination.js';
import { flag, toBool, toDate } from './rows.js';
import type { Page, PageRequest, RecordedMatch, RequestFilter, RequestRecord } from './store.js';
import * as v from './validate.js';

/** Rows per insert: 16 columns each stays far below both dialects' bound-parameter limits. */
const CHUNK = 500;

const DECISIONS = ['allow', 'deny', 'would-deny'] as const;

/** The columns `toRow` fills, in the order `insertRows` binds them. */
const COLUMNS = [
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
] as const satisfies readonly (keyof ReturnType<typeof toRow>)[];

/** Most characters of a recorded path or reason; the recorder cuts longer ones before queueing them. */
export const REQUEST_TEXT_MAX = 2000;

function requestFromRow(row: Selectable<RequestsTable>): RequestRecord {
  return {
    requestId: row.request_id,
    at: toDate(row.at),
    tenantId: row.tenant_id,
    apiId: row.api_id,
    keyId: row.key_id,
    client: row.client,
    method: row.method,
    path: row.path,
    status: row.status,
    // A report-only pass is stored as `allow` with the flag (the column's check predates it).
    decision: toBool(row.would_deny) ? 'would-deny' : row.decision,
    stage: row.stage,
    reason: row.reason,
    latencyMs: Number(row.latency_ms),
    origin: row.origin ?? null,
    matched: matchedFromColumn(row.matched),
  };
}

const LISTS: readonly RecordedMatch['list'][] = ['api-allowlist', 'tenant', 'key-ips', 'key-domains'];

/** At most one entry per list matches a request (the four stages); a few more leave room, not a log. */
const MAX_MATCHED = 8;

/** The matched entries of a stored `matched` column (of `requests` or `request_counts`). */
export function matchedFromColumn(text: string | null): RecordedMatch[] {
  if (text === null || text === '') return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    // A row is shown, never trusted to be well formed: anything odd in it is left out.
    return parsed.filter(
      (m): m is RecordedMatch =>
        typeof m === 'object' &&
        m !== null &&
        LISTS.includes((m as RecordedMatch).list) &&
        typeof (m as RecordedMatch).entryId === 'string',
    );
  } catch {
    return [];
  }
}

function matchedToColumn(matched: unknown, texts: RowTexts): string | null {
  if (matched === undefined || matched === null) return null;
  if (!Array.isArray(matched) || matched.length > MAX_MATCHED) {
    throw invalid('matched', `matched must be a list of at most ${MAX_MATCHED} entries.`);
  }
  if (matched.length === 0) return null;
  // Written by hand rather than by `JSON.stringify` of copied objects: this runs for every record.
  // `list` is one of LISTS (plain words) and `entryId` is escaped by JSON.stringify, so the text is
  // what `JSON.stringify([{ list, entryId }, …])` gives.
  let json = '[';
  for (let i = 0; i < matched.length; i++) {
    const m: unknown = matched[i];
    if (typeof m !== 'object' || m === null)
      throw invalid(`matched[${i}]`, 'A matched entry must be an object.');
    const { list, entryId } = m as Record<string, unknown>;
    const checkedList = v.oneOf(list, `matched[${i}].list`, LISTS);
    const checkedId = texts.text(MATCHED_SLOT + (i % 4), entryId, `matched[${i}].entryId`);
    json += `${i === 0 ? '' : ','}{"list":"${checkedList}","entryId":${JSON.stringify(checkedId)}}`;
  }
  return `${json}]`;
}

/**
 * The `matched` column for a list of matched entries, checked (a 400 naming `matched[i]…`); null
 * for none.
 *
 * @example
 * matchedColumn([{ list: 'tenant', entryId: 'ent_1' }]); // '[{"list":"tenant","entryId":"ent_1"}]'
 */
export function matchedColumn(matched: unknown): string | null {
  return matchedToColumn(matched, new RowTexts());
}

/** Memo slots of {@link RowTexts}: one per checked text field of a record. */
const TENANT_SLOT = 0;
const API_SLOT = 1;
const KEY_SLOT = 2;
const CLIENT_SLOT = 3;
const METHOD_SLOT = 4;
const STAGE_SLOT = 5;
const MATCHED_SLOT = 6;
const SLOTS = MATCHED_SLOT + 4;

/**
 * `v.text` for the records of one batch, remembering the last text that passed in each field: the
 * records of a busy gateway carry the same tenant, API, key, client, method, stage and matched
 * entries one after another (the same string objects, as the recorder thread receives them), and
 * the check — trim, length, a Unicode regular expression — is a pure function of the text, so an
 * equal text gets the same answer without running it again.
 */
class RowTexts {
  readonly #given: unknown[] = new Array(SLOTS).fill(undefined);
  readonly #checked: string[] = new Array(SLOTS).fill('');

  text(slot: number, value: unknown, field: string): string {
    if (typeof value === 'string' && value === this.#given[slot]) return this.#checked[slot] as string;
    const checked = v.text(value, field);
    this.#given[slot] = value;
    this.#checked[slot] = checked;
    return checked;
  }

  optional(slot: number, value: unknown, field: string): string | null {
    return value === null ? null : this.text(slot, value, field);
  }

  #lastMs = Number.NaN;
  #lastIso = '';

  /** `at.toISOString()`, once per millisecond: a busy gateway records several requests in each. */
  iso(at: Date): string {
    const ms = at.getTime();
    if (ms !== this.#lastMs) {
      this.#lastIso = at.toISOString();
      this.#lastMs = ms;
    }
    return this.#lastIso;
  }

  #lastMatched: unknown = undefined;
  #lastMatchedColumn: string | null = null;

  /**
   * The matched entries' column, made once for a list given again: the recorder thread hands the
   * records of one hand-off that matched the same entries the same list object. Within one batch
   * nothing runs between two records that could change it.
   */
  matched(matched: unknown): string | null {
    if (matched !== undefined && matched !== null && matched === this.#lastMatched) {
      return this.#lastMatchedColumn;
    }
    const column = matchedToColumn(matched, this);
    this.#lastMatched = matched;
    this.#lastMatchedColumn = column;
    return column;
  }
}

/**
 * Appends a batch of request records in one transaction. A record whose id is stored already is
 * skipped, so a batch retried after a lost acknowledgement never doubles the log. Bad input rejects
 * the whole batch (400, `index` and `field` say where) and writes nothing.
 *
 * @example
 * await appendRequests(ctx, [{ requestId: 'req_1', at: new Date(), tenantId, apiId, keyId, client: '203.0.113.7', method: 'GET', path: '/orders', status: 200, decision: 'allow', stage: 'complete', reason: null, latencyMs: 3.2 }]);
 */
export async function appendRequests(ctx: StoreContext, batch: readonly RequestRecord[]): Promise<void> {
  if (!Array.isArray(batch)) throw invalid('batch', 'The request records must be a list.');
  const texts = new RowTexts();
  const rows = batch.map((r, index) => {
    try {
      return toRow(r, texts);
    } catch (e) {
      throw isIpGateError(e) ? e.withContext({ index }) : e;
    }
  });
  if (rows.length === 0) return;
  const insertRows = ctx.dialect.insertRows;
  await ctx.dialect.transaction(async (trx) => {
    if (insertRows !== undefined) {
      insertRows('requests', COLUMNS, 'request_id', rows.map(rowValues));
      return;
    }
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto('requests')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) => oc.column('request_id').doNothing())
        .execute();
    }
  });
}

/**
 * Request records, newest first, filtered; `since` is inclusive, `until` exclusive.
 *
 * @example
 * const { items, nextCursor } = await listRequests(ctx, { tenantId, decision: 'deny' }, { limit: 100 });
 */
export async function listRequests(
  ctx: StoreContext,
  filter: RequestFilter = {},
  page?: PageRequest,
): Promise<Page<RequestRecord>> {
  const limit = pageLimit(page);
  const f = checkFilter(filter);
  const after = page?.cursor === undefined ? undefined : decodeCursor(page.cursor, ['string', 'string']);
  const rows = await read(ctx, () =>
    ctx.db
      .selectFrom('requests')
      .selectAll()
      .$if(f.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', f.tenantId as string))
      .$if(f.apiId !== undefined, (qb) => qb.where('api_id', '=', f.apiId as string))
      .$if(f.keyId !== undefined, (qb) => qb.where('key_id', '=', f.keyId as string))
      .$if(f.client !== undefined, (qb) => qb.where('client', '=', f.client as string))
      .$if(f.decision === 'would-deny', (qb) => qb.where('would_deny', '=', flag(true)))
      .$if(f.decision === 'allow', (qb) =>
        qb.where('decision', '=', 'allow').where('would_deny', '=', flag(false)),
      )
      .$if(f.decision === 'deny', (qb) => qb.where('decision', '=', 'deny'))
      .$if(f.since !== undefined, (qb) => qb.where('at', '>=', f.since as string))
      .$if(f.until !== undefined, (qb) => qb.where('at', '<', f.until as string))
      .$if(after !== undefined, (qb) => {
        const [at, id] = after as [string, string];
        return qb.where((eb) =>
          eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('request_id', '<', id)])]),
        );
      })
      .orderBy('at', 'desc')
      .orderBy('request_id', 'desc')
      .limit(limit + 1)
      .execute(),
  );
  return toPage(rows.map(requestFromRow), limit, (r) => [r.at.toISOString(), r.requestId]);
}

/**
 * One request record, or IPG_NOT_FOUND. Not tenant-scoped: the caller checks the record's tenant.
 */
export async function getRequest(ctx: StoreContext, requestId: string): Promise<RequestRecord> {
  const row = await read(ctx, () =>
    ctx.db.selectFrom('requests').selectAll().where('request_id', '=', requestId).executeTakeFirst(),
  );
  if (row === undefined) throw notFound('request', requestId);
  return requestFromRow(row);
}

function toRow(r: RequestRecord, texts: RowTexts) {
  if (typeof r !== 'object' || r === null) throw invalid('record', 'A request record must be an object.');
  const at = v.dateOrNull(r.at, 'at');
  if (at === null) throw invalid('at', 'at must be a valid time.');
  if (!Number.isInteger(r.status) || r.status < 100 || r.status > 599) {
    throw invalid('status', 'status must be an HTTP status from 100 to 599.');
  }
  if (typeof r.latencyMs !== 'number' || !Number.isFinite(r.latencyMs) || r.latencyMs < 0) {
    throw invalid('latencyMs', 'latencyMs must be a number of milliseconds from 0.');
  }
  const decision = v.oneOf(r.decision, 'decision', DECISIONS);
  return {
    request_id: v.text(r.requestId, 'requestId'),
    at: texts.iso(at),
    tenant_id: texts.optional(TENANT_SLOT, r.tenantId, 'tenantId'),
    api_id: texts.optional(API_SLOT, r.apiId, 'apiId'),
    key_id: texts.optional(KEY_SLOT, r.keyId, 'keyId'),
    client: texts.optional(CLIENT_SLOT, r.client, 'client'),
    method: texts.text(METHOD_SLOT, r.method, 'method'),
    // Paths may be long; the log keeps them whole up to REQUEST_TEXT_MAX characters.
    path: longText(r.path, 'path'),
    status: r.status,
    decision: decision === 'deny' ? ('deny' as const) : ('allow' as const),
    would_deny: flag(decision === 'would-deny'),
    stage: texts.optional(STAGE_SLOT, r.stage, 'stage'),
    reason: r.reason === null ? null : longText(r.reason, 'reason'),
    latency_ms: r.latencyMs,
    origin: r.origin === undefined || r.origin === null ? null : longText(r.origin, 'origin'),
    matched: texts.matched(r.matched),
  };
}

/** A row's values in the order of COLUMNS, spelled out: a lookup by a variable name per column was slower. */
function rowValues(row: ReturnType<typeof toRow>): unknown[] {
  return [
    row.request_id,
    row.at,
    row.tenant_id,
    row.api_id,
    row.key_id,
    row.client,
    row.method,
    row.path,
    row.status,
    row.decision,
    row.would_deny,
    row.stage,
    row.reason,
    row.latency_ms,
    row.origin,
    row.matched,
  ];
}

/** Text of at most {@link REQUEST_TEXT_MAX} characters (a path, a reason, an origin), or a 400 on `field`. */
export function longText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > REQUEST_TEXT_MAX) {
    throw invalid(field, `${field} must be text of at most ${REQUEST_TEXT_MAX} characters.`);
  }
  return value;
}

function checkFilter(filter: RequestFilter) {
  const since = filter.since === undefined ? undefined : v.dateOrNull(filter.since, 'since');
  const until = filter.until === undefined ? undefined : v.dateOrNull(filter.until, 'until');
  return {
    tenantId: filter.tenantId === undefined ? undefined : v.text(filter.tenantId, 'tenantId'),
    apiId: filter.apiId === undefined ? undefined : v.text(filter.apiId, 'apiId'),
    keyId: filter.keyId === undefined ? undefined : v.text(filter.keyId, 'keyId'),
    client: filter.client === undefined ? undefined : v.text(filter.client, 'client'),
    decision: filter.decision === undefined ? undefined : v.oneOf(filter.decision, 'decision', DECISIONS),
    since: since === undefined || since === null ? undefined : since.toISOString(),
    until: until === undefined || until === null ? undefined : until.toISOString(),
  };
}
