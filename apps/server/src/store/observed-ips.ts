import { canonicalAddress, IpGateError, IpSet, isIpGateError } from '@ipgate/core';
import { type Selectable, sql, type Transaction } from 'kysely';
import { read, type StoreContext } from './context.js';
import type { Database, ObservedIpsTable } from './database.js';
import { checkVersion, invalid, notFound } from './errors.js';
import { newId } from './ids.js';
import { ipEntryColumns, type NewIpEntry } from './ip-entries.js';
import { lockKey, rotateInTransaction } from './keys.js';
import { enqueueEvents, reviewEvent } from './notification-queue.js';
import { insertEntry } from './owned-entries.js';
import { decodeCursor, pageLimit, toPage } from './pagination.js';
import { notifyNewPending, unseenPending } from './pending-notices.js';
import { recordChange } from './record.js';
import { nowIso, toDate } from './rows.js';
import type {
  Assessment,
  MutationOptions,
  Observation,
  ObservedIp,
  ObservedIpFilter,
  ObservedStatus,
  Page,
  PageRequest,
  RejectedObservedIp,
  Tenant,
  TenantIpEntry,
} from './store.js';
import { removeAddressEntries, tenantIpList } from './tenant-ip-list.js';
import { getTenant, lockTenant } from './tenants.js';
import * as v from './validate.js';

/** A stored observation row. */
export type ObservedRow = Selectable<ObservedIpsTable>;

const STATUSES: readonly ObservedStatus[] = ['authorized', 'pending', 'rejected'];

/** Rows per statement: far below SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

/**
 * The stored row as the public entity.
 *
 * @example
 * observedFromRow(ctx, row).reasons; // ['not listed']
 */
export function observedFromRow(ctx: StoreContext, row: ObservedRow): ObservedIp {
  const reasons = row.reasons === null ? [] : ctx.dialect.readJson(row.reasons);
  const assessment = row.assessment === null ? null : ctx.dialect.readJson(row.assessment);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    keyId: row.key_id,
    address: row.address,
    firstSeen: toDate(row.first_seen),
    lastSeen: toDate(row.last_seen),
    count: row.count,
    status: row.status,
    reasons: Array.isArray(reasons) ? reasons.map(String) : [],
    assessment: typeof assessment === 'object' && assessment !== null ? (assessment as Assessment) : null,
    version: row.version,
  };
}

/**
 * Adds a batch of observations in one transaction: counts add up, first/last seen widen, a pending
 * row becomes authorized when an observation says so, an authorized or rejected one never changes
 * status by observation. Observations of keys that no longer exist (or belong to another tenant) are
 * dropped; bad input rejects the whole batch (400, `index` and `field` say where) and writes nothing.
 *
 * @example
 * await recordObservations(ctx, [{ tenantId, keyId, address: '203.0.113.7', firstAt, lastAt, count: 3, status: 'pending', reason: 'not listed' }]);
 */
export async function recordObservations(ctx: StoreContext, batch: readonly Observation[]): Promise<void> {
  if (!Array.isArray(batch)) throw invalid('batch', 'The observations must be a list.');
  const merged = mergeObservations(batch.map((o, i) => checkObservation(o, i)));
  if (merged.length === 0) return;
  await ctx.dialect.transaction(async (trx) => {
    const known = await lockKnownKeys(ctx, trx, merged);
    // One order for every writer, so two nodes upserting overlapping batches lock rows in the same
    // order on PostgreSQL instead of deadlocking.
    const rows = merged
      .filter((o) => known.get(o.keyId) === o.tenantId)
      .sort(
        (a, b) =>
          compare(a.tenantId, b.tenantId) || compare(a.keyId, b.keyId) || compare(a.address, b.address),
      );
    const fresh = await unseenPending(trx, rows);
    for (let i = 0; i < rows.length; i += CHUNK) {
      await upsert(ctx, trx, rows.slice(i, i + CHUNK));
    }
    await notifyNewPending(ctx, trx, fresh);
  });
}

/**
 * The tenant's observed addresses, newest `lastSeen` first, optionally by status and key.
 *
 * @example
 * const { items } = await listObservedIps(ctx, tenantId, { status: 'pending' });
 */
export async function listObservedIps(
  ctx: StoreContext,
  tenantId: string,
  filter: ObservedIpFilter = {},
  page?: PageRequest,
): Promise<Page<ObservedIp>> {
  const limit = pageLimit(page);
  const status = filter.status === undefined ? undefined : v.oneOf(filter.status, 'status', STATUSES);
  const keyId = filter.keyId === undefined ? undefined : v.text(filter.keyId, 'keyId');
  const after = page?.cursor === undefined ? undefined : decodeCursor(page.cursor, ['string', 'string']);
  await getTenant(ctx, tenantId);
  const rows = await read(ctx, () =>
    ctx.db
      .selectFrom('observed_ips')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .$if(status !== undefined, (qb) => qb.where('status', '=', status as ObservedStatus))
      .$if(keyId !== undefined, (qb) => qb.where('key_id', '=', keyId as string))
      .$if(after !== undefined, (qb) => {
        const [seen, id] = after as [string, string];
        return qb.where((eb) =>
          eb.or([eb('last_seen', '<', seen), eb.and([eb('last_seen', '=', seen), eb('id', '<', id)])]),
        );
      })
      .orderBy('last_seen', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute(),
  );
  return toPage(
    rows.map((r) => observedFromRow(ctx, r)),
    limit,
    (o) => [o.lastSeen.toISOString(), o.id],
  );
}

/**
 * One observed address of this tenant, or IPG_NOT_FOUND.
 */
export async function getObservedIp(
  ctx: StoreContext,
  tenantId: string,
  observedId: string,
): Promise<ObservedIp> {
  const row = await read(ctx, () =>
    ctx.db
      .selectFrom('observed_ips')
      .selectAll()
      .where('id', '=', observedId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst(),
  );
  if (row === undefined) throw notFound('observed IP', observedId);
  return observedFromRow(ctx, row);
}

/**
 * Authorizes an observed address: marks it and, unless an enabled, unexpired entry of the tenant list
 * covers it already, adds it to the list (source `review`) against the tenant's limit, all in one
 * transaction with one audit event.
 *
 * @example
 * const { observed, entry } = await authorizeObservedIp(ctx, tenantId, 'obs_…', { name: 'home office' }, { actor: 'user:ops' });
 */
export async function authorizeObservedIp(
  ctx: StoreContext,
  tenantId: string,
  observedId: string,
  input: { readonly name?: string | undefined; readonly reason?: string | undefined },
  options: MutationOptions,
): Promise<{ readonly observed: ObservedIp; readonly entry: TenantIpEntry | null }> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  const name = input.name === undefined ? undefined : v.text(input.name, 'name');
  const reason =
    input.reason === undefined ? undefined : v.text(input.reason, 'reason', { allowEmpty: true });
  return ctx.dialect.transaction(async (trx) => {
    // Tenant first, as every write to the tenant list does, so concurrent adds queue on one row.
    const tenant = await lockTenant(ctx, trx, tenantId);
    const before = await lockObserved(ctx, trx, tenantId, observedId);
    checkVersion('observed IP', before, expected);
    const now = nowIso();
    const entry = await listAddress(trx, tenant, before.address, now, {
      name: name ?? before.address,
      source: 'review',
      reason: reason === undefined || reason === '' ? null : reason,
      createdBy: actor,
    });
    const observed = await setStatus(ctx, trx, before, 'authorized', `authorized by ${actor}`, reason);
    await recordChange(ctx, trx, now, {
      actor,
      action: 'tenant.observed_ip.authorized',
      tenantId,
      keyId: before.keyId,
      targetType: 'observed_ip',
      targetId: observedId,
      before,
      after: { ...observed, entry },
    });
    await enqueueEvents(ctx, trx, [reviewEvent('ip.authorized', observed, actor)], now);
    return { observed, entry };
  });
}

/**
 * Rejects an observed address (`auto` never lists it again, for any key: docs/review.md); with
 * `rotateKey` its key gets a new secret in the same transaction, returned once.
 *
 * @example
 * const { rotated } = await rejectObservedIp(ctx, tenantId, 'obs_…', { rotateKey: true }, { actor: 'user:ops' });
 */
export async function rejectObservedIp(
  ctx: StoreContext,
  tenantId: string,
  observedId: string,
  input: { readonly rotateKey?: boolean | undefined; readonly reason?: string | undefined },
  options: MutationOptions,
): Promise<RejectedObservedIp> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  const rotate = input.rotateKey === undefined ? false : v.bool(input.rotateKey, 'rotateKey');
  const reason =
    input.reason === undefined ? undefined : v.text(input.reason, 'reason', { allowEmpty: true });
  return ctx.dialect.transaction(async (trx) => {
    // Lock order tenant (its list may lose entries), key, then observed row, as authorize and
    // recordObservations take them; the key id of a row never changes, so reading it first is safe.
    await lockTenant(ctx, trx, tenantId);
    const peek = await trx
      .selectFrom('observed_ips')
      .select('key_id')
      .where('id', '=', observedId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (peek === undefined) throw notFound('observed IP', observedId);
    const key = rotate ? await lockKey(ctx, trx, tenantId, peek.key_id) : undefined;
    const before = await lockObserved(ctx, trx, tenantId, observedId);
    checkVersion('observed IP', before, expected);
    const now = nowIso();
    const rotated = key === undefined ? null : await rotateInTransaction(trx, key, now);
    // A rejected address must not pass by the entry authorizing it added: reject undoes authorize.
    // Entries a person wrote, or wider ones, are kept; `stillListed` tells the caller about them.
    const removedEntries = await removeAddressEntries(trx, tenantId, before.address, ['review', 'auto']);
    const stillListed = await coveredByList(trx, tenantId, before.address, now);
    const observed = await setStatus(
      ctx,
      trx,
      before,
      'rejected',
      `rejected by ${actor}${rotated === null ? '' : ', key rotated'}`,
      reason,
    );
    await recordChange(ctx, trx, now, {
      actor,
      action: 'tenant.observed_ip.rejected',
      tenantId,
      keyId: before.keyId,
      targetType: 'observed_ip',
      targetId: observedId,
      before,
      // The key entity carries no secret, so the audit trail never does either.
      after: { ...observed, rotatedKey: rotated?.key ?? null, removedEntries, stillListed },
    });
    await enqueueEvents(
      ctx,
      trx,
      [reviewEvent('ip.rejected', observed, actor, { keyRotated: rotated !== null })],
      now,
    );
    return { observed, rotated, removedEntries, stillListed };
  });
}

/** Who the audit trail names for the `auto` mode's writes. */
export const AUTO_REVIEW_ACTOR = 'auto-review';

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Checked = Omit<Observation, 'reason'> & { readonly reason: string | undefined };

function checkObservation(o: Observation, index: number): Checked {
  try {
    if (typeof o !== 'object' || o === null)
      throw invalid('observation', 'An observation must be an object.');
    const firstAt = v.dateOrNull(o.firstAt, 'firstAt');
    const lastAt = v.dateOrNull(o.lastAt, 'lastAt');
    if (firstAt === null) throw invalid('firstAt', 'firstAt must be a valid time.');
    if (lastAt === null) throw invalid('lastAt', 'lastAt must be a valid time.');
    if (lastAt < firstAt) throw invalid('lastAt', 'lastAt must not be before firstAt.');
    if (!Number.isInteger(o.count) || o.count < 1)
      throw invalid('count', 'count must be a whole number from 1.');
    return {
      tenantId: v.text(o.tenantId, 'tenantId'),
      keyId: v.text(o.keyId, 'keyId'),
      address: observedAddress(o.address),
      firstAt,
      lastAt,
      count: o.count,
      status: v.oneOf(o.status, 'status', ['authorized', 'pending'] as const),
      reason: o.reason === undefined ? undefined : v.text(o.reason, 'reason'),
      assessment: o.assessment === undefined ? undefined : checkAssessment(o.assessment),
    };
  } catch (e) {
    throw isIpGateError(e) ? e.withContext({ index }) : e;
  }
}

/** An assessment is the server's own JSON; a shape check keeps a foreign object out of the column. */
export function checkAssessment(value: unknown): Assessment {
  const a = value as Partial<Assessment> | null;
  if (
    typeof a !== 'object' ||
    a === null ||
    (a.verdict !== 'trusted' && a.verdict !== 'held') ||
    typeof a.score !== 'number' ||
    !Array.isArray(a.factors)
  ) {
    throw invalid('assessment', 'assessment must be an assessment (verdict, score, factors).');
  }
  return a as Assessment;
}

/** An address as the store keeps it (canonical), or IPG_ADDRESS_INVALID on `address`. */
export function observedAddress(value: unknown): string {
  try {
    if (typeof value !== 'string') throw new Error('not text');
    return canonicalAddress(value);
  } catch (e) {
    throw new IpGateError('IPG_ADDRESS_INVALID', `${JSON.stringify(value)} is not an IP address.`, {
      field: 'address',
      cause: e,
    });
  }
}

/** One row per (tenant, key, address): PostgreSQL refuses to upsert one row twice in a statement. */
function mergeObservations(list: readonly Checked[]): Checked[] {
  const byKey = new Map<string, Checked>();
  for (const o of list) {
    const id = `${o.tenantId}\n${o.keyId}\n${o.address}`;
    const seen = byKey.get(id);
    byKey.set(
      id,
      seen === undefined
        ? o
        : {
            ...seen,
            firstAt: o.firstAt < seen.firstAt ? o.firstAt : seen.firstAt,
            lastAt: o.lastAt > seen.lastAt ? o.lastAt : seen.lastAt,
            count: seen.count + o.count,
            status: seen.status === 'authorized' || o.status === 'authorized' ? 'authorized' : 'pending',
            reason: seen.reason ?? o.reason,
            assessment: o.assessment ?? seen.assessment,
          },
    );
  }
  return [...byKey.values()];
}

/**
 * The tenant of every key the batch names that still exists. On PostgreSQL the tenant and key rows
 * are share-locked (tenant first, as every writer locks them), so a concurrent delete waits instead
 * of failing the batch on a foreign key.
 */
async function lockKnownKeys(
  ctx: StoreContext,
  trx: Transaction<Database>,
  batch: readonly Checked[],
): Promise<Map<string, string>> {
  const tenantIds = [...new Set(batch.map((o) => o.tenantId))];
  const keyIds = [...new Set(batch.map((o) => o.keyId))];
  if (ctx.dialect.lockRows) {
    for (let i = 0; i < tenantIds.length; i += CHUNK) {
      await trx
        .selectFrom('tenants')
        .select('id')
        .where('id', 'in', tenantIds.slice(i, i + CHUNK))
        .orderBy('id')
        .forShare()
        .execute();
    }
  }
  const known = new Map<string, string>();
  for (let i = 0; i < keyIds.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('keys')
      .select(['id', 'tenant_id'])
      .where('id', 'in', keyIds.slice(i, i + CHUNK))
      .orderBy('id')
      .$if(ctx.dialect.lockRows, (qb) => qb.forShare())
      .execute();
    for (const r of rows) known.set(r.id, r.tenant_id);
  }
  return known;
}

/**
 * An `observed_ips` row as written: timestamps as ISO text and JSON as text, what both the
 * recorder's upsert and the auto batch's insert bind (SQLite returns it the same).
 */
export type NewObservedRow = {
  id: string;
  tenant_id: string;
  key_id: string;
  address: string;
  first_seen: string;
  last_seen: string;
  count: number;
  status: ObservedIpsTable['status'];
  reasons: string;
  assessment: string | null;
  assessed_at: string | null;
  version: number;
};

/**
 * Every column of an `observed_ips` row, in one order: what the recorder's upsert and the auto batch's
 * insert write (each checks the list against its own row type).
 */
export const OBSERVED_ROW_COLUMNS = [
  'id',
  'tenant_id',
  'key_id',
  'address',
  'first_seen',
  'last_seen',
  'count',
  'status',
  'reasons',
  'assessment',
  'assessed_at',
  'version',
] as const;

const UPSERT_COLUMNS = OBSERVED_ROW_COLUMNS satisfies readonly (keyof NewObservedRow)[];

function upsertRow(o: Checked): NewObservedRow {
  return {
    id: newId('obs'),
    tenant_id: o.tenantId,
    key_id: o.keyId,
    address: o.address,
    first_seen: o.firstAt.toISOString(),
    last_seen: o.lastAt.toISOString(),
    count: o.count,
    status: o.status,
    reasons: JSON.stringify(o.reason === undefined ? [] : [o.reason]),
    assessment: o.assessment === undefined ? null : JSON.stringify(o.assessment),
    assessed_at: o.assessment === undefined ? null : o.firstAt.toISOString(),
    version: 1,
  };
}

/**
 * The upsert of observation rows: one multi-row statement per chunk, or on SQLite (`runRows`) the
 * single-row statement's text, compiled by Kysely once, run per row through a kept statement. The
 * multi-row text grows with the chunk (each new address of an `auto` stream is a row with a 1.4 KB
 * assessment), so it was built, compiled and prepared afresh on every recorder flush. The rows
 * are distinct (merged by tenant, key and address), so one statement per row writes what the
 * multi-row one does.
 */
async function upsert(
  ctx: StoreContext,
  trx: Transaction<Database>,
  rows: readonly Checked[],
): Promise<void> {
  const runRows = ctx.dialect.runRows;
  if (runRows !== undefined) {
    if (singleUpsert === undefined) singleUpsert = compileSingleUpsert(trx);
    const { text, columns } = singleUpsert;
    runRows(
      text,
      rows.map((o) => {
        const row = upsertRow(o);
        return columns.map((c) => row[c]);
      }),
    );
    return;
  }
  await upsertQuery(trx, rows.map(upsertRow)).execute();
}

/**
 * One for the whole process, whatever store compiled it: only SQLite's dialect has `runRows`, and
 * its statements name tables without a schema, so every SQLite store's text is the same.
 */
let singleUpsert: { readonly text: string; readonly columns: readonly (keyof NewObservedRow)[] } | undefined;

/**
 * The single-row upsert's text and the column each of its parameters takes, learnt by compiling
 * it with a row whose values name their columns (so the order is Kysely's, not assumed here).
 */
function compileSingleUpsert(trx: Transaction<Database>): {
  readonly text: string;
  readonly columns: readonly (keyof NewObservedRow)[];
} {
  const marker = '\u0000column:';
  const named = Object.fromEntries(
    UPSERT_COLUMNS.map((c) => [c, `${marker}${c}`]),
  ) as unknown as NewObservedRow;
  const compiled = upsertQuery(trx, [named]).compile();
  const columns = compiled.parameters.map((p) => {
    const c = typeof p === 'string' && p.startsWith(marker) ? p.slice(marker.length) : undefined;
    if (c === undefined || !(UPSERT_COLUMNS as readonly string[]).includes(c))
      throw new Error(`the observation upsert binds a parameter that is no column: ${String(p)}`);
    return c as keyof NewObservedRow;
  });
  return { text: compiled.sql, columns };
}

function upsertQuery(trx: Transaction<Database>, rows: readonly NewObservedRow[]) {
  // An observation upgrades pending to authorized (the address got listed) and changes nothing
  // else: a rejected address stays rejected, an authorized one is not downgraded by traffic.
  // A call from before a hold (a burst) must not undo it: only a call after the stored assessment
  // upgrades a row that has one.
  const upgrades = sql<boolean>`observed_ips.status = 'pending' and excluded.status = 'authorized' and (observed_ips.assessed_at is null or excluded.last_seen > observed_ips.assessed_at)`;
  // An older assessment (a node's memory of a verdict since revised in the store) never replaces a newer one.
  const older = sql<boolean>`excluded.assessed_at < observed_ips.assessed_at`;
  return trx
    .insertInto('observed_ips')
    .values([...rows])
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'key_id', 'address']).doUpdateSet({
        count: sql`observed_ips.count + excluded.count`,
        first_seen: sql`case when excluded.first_seen < observed_ips.first_seen then excluded.first_seen else observed_ips.first_seen end`,
        last_seen: sql`case when excluded.last_seen > observed_ips.last_seen then excluded.last_seen else observed_ips.last_seen end`,
        status: sql`case when ${upgrades} then 'authorized' else observed_ips.status end`,
        // The newest assessment wins; a batch without one keeps what is stored. The time it was made
        // stays while the same one comes back with every batch of an address that keeps calling.
        assessment: sql`case when excluded.assessment is null or ${older} then observed_ips.assessment else excluded.assessment end`,
        assessed_at: sql`case when excluded.assessment is null or ${older} or excluded.assessment = observed_ips.assessment then observed_ips.assessed_at else excluded.assessed_at end`,
        version: sql`case when ${upgrades} then observed_ips.version + 1 else observed_ips.version end`,
      }),
    );
}

async function lockObserved(
  ctx: StoreContext,
  trx: Transaction<Database>,
  tenantId: string,
  observedId: string,
): Promise<ObservedIp> {
  const row = await trx
    .selectFrom('observed_ips')
    .selectAll()
    .where('id', '=', observedId)
    .where('tenant_id', '=', tenantId)
    .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (row === undefined) throw notFound('observed IP', observedId);
  return observedFromRow(ctx, row);
}

/**
 * Puts a reviewed address on the tenant list, unless an entry lets it through already: the new
 * entry, or null when none was needed.
 */
async function listAddress(
  trx: Transaction<Database>,
  tenant: Tenant,
  address: string,
  now: string,
  fields: Pick<NewIpEntry, 'name' | 'source' | 'reason' | 'createdBy'>,
): Promise<TenantIpEntry | null> {
  if (await coveredByList(trx, tenant.id, address, now)) return null;
  const columns = ipEntryColumns({
    ...fields,
    entry: v.ipEntry(address),
    value: address,
    enabled: true,
    expiresAt: null,
  });
  return insertEntry(trx, tenantIpList, tenant.id, tenant.ipEntryLimit, now, columns);
}

/** Whether an enabled, unexpired entry of the tenant list already lets the address through. */
async function coveredByList(
  trx: Transaction<Database>,
  tenantId: string,
  address: string,
  now: string,
): Promise<boolean> {
  const rows = await trx
    .selectFrom('tenant_ip_entries')
    .select(['canonical', 'enabled', 'expires_at'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const at = new Date(now);
  const live = rows.filter(
    (r) => (r.enabled === true || r.enabled === 1) && (r.expires_at === null || toDate(r.expires_at) > at),
  );
  return IpSet.from(live.map((r) => r.canonical)).has(address);
}

async function setStatus(
  ctx: StoreContext,
  trx: Transaction<Database>,
  before: ObservedIp,
  status: ObservedStatus,
  because: string,
  reason: string | undefined,
): Promise<ObservedIp> {
  const line = reason === undefined || reason === '' ? because : `${because}: ${reason}`;
  const row = await trx
    .updateTable('observed_ips')
    .set({
      status,
      reasons: JSON.stringify([...before.reasons, line]),
      version: before.version + 1,
    })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return observedFromRow(ctx, row);
}
