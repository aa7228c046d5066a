/**
 * The `auto` mode's write (docs/architecture/review.md#auto-on-the-request-path): the trusted
 * addresses a node gathered for one tenant over a flush period, listed in one transaction with one
 * change version, so that every node recompiles the tenant once per batch instead of once per address.
 */
import { IpAddress, IpSet, isIpGateError } from '@ipgate/core';
import type { Transaction } from 'kysely';
import { heldForBurst } from '../review/assessment.js';
import type { StoreContext } from './context.js';
import type { Database } from './database.js';
import { invalid } from './errors.js';
import { newId } from './ids.js';
import { checkBurstRule, heldBursts, holdBurstIn, newAddressesOnKeys } from './key-bursts.js';
import { enqueueEvents, enqueuePending, reviewEvent } from './notification-queue.js';
import {
  AUTO_REVIEW_ACTOR,
  checkAssessment,
  type NewObservedRow,
  OBSERVED_ROW_COLUMNS,
  type ObservedRow,
  observedAddress,
  observedFromRow,
} from './observed-ips.js';
import { type AuditRecord, recordChanges } from './record.js';
import { flag, nowIso, toDate } from './rows.js';
import type {
  Assessment,
  AutoAuthorizeBatchInput,
  AutoAuthorizeInput,
  AutoAuthorizeResult,
  ObservedIp,
  TenantIpEntry,
} from './store.js';
import { tenantIpList } from './tenant-ip-list.js';
import { lockTenant } from './tenants.js';
import * as v from './validate.js';

/** Addresses per batch: a node flushes far fewer; the bound keeps one transaction short. */
export const MAX_AUTO_BATCH = 1_000;
/** Rows per statement: far below SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;

/**
 * The `auto` mode's write of one address: {@link autoAuthorizeAddresses} with a batch of one.
 *
 * @example
 * await autoAuthorizeAddress(ctx, { tenantId, keyId, address: '198.51.100.9', assessment, at: new Date() });
 */
export async function autoAuthorizeAddress(
  ctx: StoreContext,
  input: AutoAuthorizeInput,
): Promise<AutoAuthorizeResult> {
  if (typeof input !== 'object' || input === null) throw invalid('input', 'The input must be an object.');
  const [result] = await autoAuthorizeAddresses(ctx, {
    tenantId: input.tenantId,
    burst: input.burst,
    addresses: [{ keyId: input.keyId, address: input.address, assessment: input.assessment, at: input.at }],
  });
  return result as AutoAuthorizeResult;
}

interface Item {
  readonly index: number;
  readonly keyId: string;
  readonly addr: string;
  readonly assessment: Assessment;
  readonly at: Date;
}

/**
 * The `auto` mode's write of a batch: see {@link Store.autoAuthorizeAddresses}. One result per
 * address, in the order given.
 *
 * @example
 * const results = await autoAuthorizeAddresses(ctx, { tenantId, burst, addresses: [{ keyId, address, assessment, at }] });
 */
export async function autoAuthorizeAddresses(
  ctx: StoreContext,
  input: AutoAuthorizeBatchInput,
): Promise<AutoAuthorizeResult[]> {
  if (typeof input !== 'object' || input === null) throw invalid('input', 'The input must be an object.');
  const tenantId = v.text(input.tenantId, 'tenantId');
  const burst = input.burst === undefined ? undefined : checkBurstRule(input.burst);
  if (!Array.isArray(input.addresses) || input.addresses.length === 0)
    throw invalid('addresses', 'addresses must be a non-empty list of { keyId, address, assessment, at }.');
  if (input.addresses.length > MAX_AUTO_BATCH)
    throw invalid('addresses', `A batch holds at most ${MAX_AUTO_BATCH} addresses; split it.`);
  const items: Item[] = input.addresses.map((a, index) => {
    try {
      return {
        index,
        keyId: v.text(a.keyId, 'keyId'),
        addr: observedAddress(a.address),
        assessment: checkAssessment(a.assessment),
        at: v.dateOrNull(a.at, 'at') ?? new Date(),
      };
    } catch (e) {
      throw isIpGateError(e) ? e.withContext({ index }) : e;
    }
  });
  // One order for every writer (key, then address), as recordObservations locks rows on PostgreSQL.
  const ordered = [...items].sort((a, b) => compare(a.keyId, b.keyId) || compare(a.addr, b.addr));
  return ctx.dialect.transaction(async (trx) => {
    const results: AutoAuthorizeResult[] = new Array(items.length);
    // Lock order as every writer: tenant, keys, observed rows.
    const tenant = await lockTenant(ctx, trx, tenantId);
    if (tenant.ipMode !== 'auto') return results.fill({ outcome: 'not-auto' });
    const keys = await liveKeys(ctx, trx, tenantId, ordered);
    const { observed, rejected } = await lockObservedRows(ctx, trx, tenantId, ordered);
    const list = await tenantList(trx, tenantId, ordered);
    const now = nowIso();
    const summary = (a: Assessment): string => {
      const text = a.reasons.join('; ');
      return text.length > 500 ? `${text.slice(0, 499)}…` : text;
    };
    let entries = list.count;
    // Keys held in a burst: read once for the batch, as of its earliest request (a hold ending within
    // the flush period still holds the batch), kept up to date below.
    const earliest = new Date(Math.min(...ordered.map((i) => i.at.getTime())));
    const bursts: Map<string, number | undefined> = await heldBursts(trx, [...keys], earliest);
    // The burst rule counts each key's new addresses within the window as the store has them: read
    // once per batch (from the earliest request's window: at most a flush period more), then kept up
    // to date as this batch assesses addresses. `counted`: the batch's addresses in that count.
    const since = burst === undefined ? undefined : new Date(earliest.getTime() - burst.windowMs);
    const perKey =
      since === undefined ? new Map<string, number>() : await newAddressesOnKeys(trx, [...keys], since);
    const counted = new Set<string>();
    if (since !== undefined) {
      for (const [pair, row] of observed)
        if (row.assessedAt !== null && row.assessedAt >= since) counted.add(pair);
    }
    const count = (keyId: string, pair: string): void => {
      if (counted.has(pair)) return;
      counted.add(pair);
      perKey.set(keyId, (perKey.get(keyId) ?? 0) + 1);
    };
    const done = new Map<string, AutoAuthorizeResult>();
    const listed: { item: Item; before: ObservedIp | null; entry: EntryRow | null }[] = [];
    for (const item of ordered) {
      const { keyId, addr, at, assessment } = item;
      const pair = `${keyId}\n${addr}`;
      // The same (key, address) twice in a batch: one write, one answer.
      const seen = done.get(pair);
      if (seen !== undefined) {
        results[item.index] = seen;
        continue;
      }
      const answer = (r: AutoAuthorizeResult): void => {
        results[item.index] = r;
        done.set(pair, r);
      };
      if (!keys.has(keyId)) {
        answer({ outcome: 'key-gone' });
        continue;
      }
      const before = observed.get(pair)?.observed ?? null;
      // A person said no: the assessment does not overrule them. Tenant-wide, as the entry would be:
      // a rejection under any key keeps the address off the list for every key.
      if (rejected.has(addr)) {
        answer({ outcome: 'rejected' });
        continue;
      }
      // The burst rule again, over every node's new addresses on the key: a node sees only its own.
      // Counted per address, in order: an address this batch authorized counts for the next one.
      const inBurst = bursts.get(keyId);
      if (inBurst === undefined && burst !== undefined) {
        // This address included, once.
        const n = (perKey.get(keyId) ?? 0) + (counted.has(pair) ? 0 : 1);
        count(keyId, pair);
        if (n >= burst.limit) {
          bursts.set(keyId, n);
          const held = await holdBurstIn(ctx, trx, { tenantId, keyId, newAddresses: n, at, burst });
          // "Hold them all" covers this batch's earlier addresses of the key, not written yet: they
          // are held instead of listed.
          for (let i = listed.length - 1; i >= 0; i--) {
            const earlier = listed[i] as (typeof listed)[number];
            if (earlier.item.keyId !== keyId) continue;
            listed.splice(i, 1);
            if (earlier.entry !== null) {
              entries--;
              list.remove(earlier.item.addr, earlier.entry.canonical);
            }
            const e = earlier.item;
            await holdThisOne(ctx, trx, earlier.before, {
              tenantId,
              keyId,
              addr: e.addr,
              at: e.at,
              assessment: e.assessment,
              n,
              limit: burst.limit,
            });
            const r: AutoAuthorizeResult = { outcome: 'burst', newAddresses: n, held: [] };
            results[e.index] = r;
            done.set(`${keyId}\n${e.addr}`, r);
          }
          await holdThisOne(ctx, trx, before, {
            tenantId,
            keyId,
            addr,
            at,
            assessment,
            n,
            limit: burst.limit,
          });
          answer({ outcome: 'burst', newAddresses: n, held });
          continue;
        }
      }
      if (inBurst !== undefined) {
        await holdThisOne(ctx, trx, before, {
          tenantId,
          keyId,
          addr,
          at,
          assessment,
          n: inBurst,
          limit: burst?.limit ?? inBurst,
        });
        answer({ outcome: 'burst', newAddresses: inBurst, held: [] });
        continue;
      }
      let entry: EntryRow | null = null;
      if (!list.covers(addr)) {
        const canonical = v.ipEntry(addr);
        const existing = list.entryOf(addr);
        if (existing !== undefined) {
          // A disabled or expired entry of the same address (in either form, as the gateway matches
          // them): a person's to enable, not auto's to add.
          answer({ outcome: 'entry-exists', entryId: existing });
          continue;
        }
        // A full list: this address and the batch's later ones stay pending (assessed again on their
        // next request); the ones before it are listed.
        if (tenant.ipEntryLimit !== undefined && entries >= tenant.ipEntryLimit) {
          answer({ outcome: 'limit-reached', limit: tenant.ipEntryLimit });
          continue;
        }
        entry = {
          id: newId(tenantIpList.idPrefix),
          tenant_id: tenantId,
          name: addr,
          type: canonical.type,
          value: addr,
          canonical: canonical.canonical,
          enabled: flag(true),
          expires_at: null,
          source: 'auto',
          reason: summary(assessment),
          created_by: AUTO_REVIEW_ACTOR,
          version: 1,
          created_at: now,
          updated_at: now,
        };
        entries++;
        list.add(addr, entry.canonical, entry.id);
      }
      listed.push({ item, before, entry });
    }
    if (listed.length > 0) {
      const written = await writeListed(ctx, trx, tenantId, listed);
      const audits: AuditRecord[] = [];
      const events = [];
      for (const [i, { item, before }] of listed.entries()) {
        const { observed: after, entry } = written[i] as {
          observed: ObservedIp;
          entry: TenantIpEntry | null;
        };
        const r: AutoAuthorizeResult = { outcome: 'authorized', observed: after, entry };
        results[item.index] = r;
        done.set(`${item.keyId}\n${item.addr}`, r);
        audits.push({
          actor: AUTO_REVIEW_ACTOR,
          action: 'tenant.observed_ip.auto_authorized',
          targetType: 'observed_ip',
          targetId: after.id,
          before,
          after: { ...after, entry },
        });
        // Webhooks hear of it as of any authorization, with the reasons (email carries ip.pending only).
        events.push(
          reviewEvent('ip.authorized', after, AUTO_REVIEW_ACTOR, {
            automatic: true,
            reasons: item.assessment.reasons,
          }),
        );
      }
      // One change for the batch: every node recompiles the tenant once. Each address keeps its own
      // audit event (its observation before and after, its entry, its assessment's reasons), all
      // carrying that change's version. No key's rules change, so the change names none.
      // Adding entries is all the batch does to the rules (observations are not rules), so the
      // change names them and nodes extend the tenant's compiled list with just these rows.
      const addedEntries = listed.flatMap(({ entry }) => (entry === null ? [] : [entry.id]));
      await recordChanges(
        ctx,
        trx,
        now,
        { tenantId, kind: 'tenant.observed_ip.auto_authorized', addedEntries },
        audits,
      );
      await enqueueEvents(ctx, trx, events, now);
    }
    // Duplicates answered after their first: fill any left (none in practice).
    for (const item of items)
      results[item.index] ??= done.get(`${item.keyId}\n${item.addr}`) as AutoAuthorizeResult;
    return results;
  });
}

type EntryRow = {
  id: string;
  tenant_id: string;
  name: string;
  type: Database['tenant_ip_entries']['type'];
  value: string;
  canonical: string;
  enabled: number;
  expires_at: null;
  source: 'auto';
  reason: string;
  created_by: string;
  version: number;
  created_at: string;
  updated_at: string;
};

/** The batch's keys that still exist in the tenant, share-locked on PostgreSQL (in id order). */
async function liveKeys(
  ctx: StoreContext,
  trx: Transaction<Database>,
  tenantId: string,
  items: readonly Item[],
): Promise<Set<string>> {
  const ids = [...new Set(items.map((i) => i.keyId))].sort(compare);
  const live = new Set<string>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('keys')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids.slice(i, i + CHUNK))
      .orderBy('id')
      .$if(ctx.dialect.lockRows, (qb) => qb.forShare())
      .execute();
    for (const r of rows) live.add(r.id);
  }
  return live;
}

/**
 * The batch's observed rows that exist, locked for the write on PostgreSQL: key + address -> the row
 * and when its stored assessment was made; and the batch's addresses a person rejected under any of
 * the tenant's keys (the same read: it covers every key's rows of these addresses).
 */
async function lockObservedRows(
  ctx: StoreContext,
  trx: Transaction<Database>,
  tenantId: string,
  items: readonly Item[],
): Promise<{
  observed: Map<string, { readonly observed: ObservedIp; readonly assessedAt: Date | null }>;
  rejected: Set<string>;
}> {
  const wanted = new Set(items.map((i) => `${i.keyId}\n${i.addr}`));
  const addresses = [...new Set(items.map((i) => i.addr))].sort(compare);
  const out = new Map<string, { readonly observed: ObservedIp; readonly assessedAt: Date | null }>();
  const rejected = new Set<string>();
  for (let i = 0; i < addresses.length; i += CHUNK) {
    const rows: ObservedRow[] = await trx
      .selectFrom('observed_ips')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('address', 'in', addresses.slice(i, i + CHUNK))
      .orderBy('key_id')
      .orderBy('address')
      .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
      .execute();
    for (const r of rows) {
      if (r.status === 'rejected') rejected.add(r.address);
      const pair = `${r.key_id}\n${r.address}`;
      if (wanted.has(pair))
        out.set(pair, {
          observed: observedFromRow(ctx, r),
          assessedAt: r.assessed_at === null ? null : toDate(r.assessed_at),
        });
    }
  }
  return { observed: out, rejected };
}

/**
 * What the write needs of the tenant's list, read once per batch without reading the whole list
 * (the batch is a few dozen addresses; the list may hold tens of thousands `auto` added): the count
 * for the limit, the live ranges (an address inside one is listed already), and the entries of
 * exactly the batch's addresses and their IPv4-mapped twins — live ones cover their address,
 * disabled or expired ones are a person's to enable. The list holds each canonical value once (a
 * unique constraint).
 */
async function tenantList(trx: Transaction<Database>, tenantId: string, items: readonly Item[]) {
  const at = new Date();
  const live = (r: { enabled: unknown; expires_at: unknown }): boolean =>
    (r.enabled === true || r.enabled === 1) &&
    (r.expires_at === null || toDate(r.expires_at as string | Date) > at);
  const { n } = await trx
    .selectFrom('tenant_ip_entries')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const ranges = await trx
    .selectFrom('tenant_ip_entries')
    .select(['canonical', 'enabled', 'expires_at'])
    .where('tenant_id', '=', tenantId)
    .where('type', '=', 'range')
    .execute();
  const set = IpSet.from(ranges.filter(live).map((r) => r.canonical));
  const formsOf = new Map(items.map((i) => [i.addr, entryForms(i.addr)]));
  const wanted = [...new Set([...formsOf.values()].flat())];
  const canonical = new Map<string, string>();
  const listed = new Set<string>();
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('tenant_ip_entries')
      .select(['id', 'canonical', 'enabled', 'expires_at'])
      .where('tenant_id', '=', tenantId)
      .where('canonical', 'in', wanted.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) {
      canonical.set(r.canonical, r.id);
      if (live(r)) listed.add(r.canonical);
    }
  }
  // Single addresses this batch adds, in every form: an exact match is all a later item can hit.
  const added = new Set<string>();
  const forms = (addr: string): readonly string[] => formsOf.get(addr) ?? entryForms(addr);
  return {
    count: Number(n),
    /** The id of the list's entry for a batch address in any of its forms, in any state. */
    entryOf: (addr: string): string | undefined => {
      for (const f of forms(addr)) {
        const id = canonical.get(f);
        if (id !== undefined) return id;
      }
      return undefined;
    },
    covers: (addr: string): boolean =>
      forms(addr).some((f) => added.has(f) || listed.has(f)) || set.has(addr),
    add(addr: string, canon: string, id: string): void {
      for (const f of forms(addr)) added.add(f);
      canonical.set(canon, id);
    },
    remove(addr: string, canon: string): void {
      for (const f of forms(addr)) added.delete(f);
      canonical.delete(canon);
    },
  };
}

/**
 * The canonical values a single-address entry letting `addr` in may be stored under: the entry's
 * own canonical form, and for an IPv4 address its IPv4-mapped form `::ffff:a.b.c.d` (or the other
 * way round), which the gateway's compiled set matches alike.
 */
function entryForms(addr: string): string[] {
  const own = v.ipEntry(addr).canonical;
  const a = IpAddress.parse(addr);
  if (a.family === 4) return [own, IpAddress.fromWords(6, 0, 0, 0xffff, a.w3).toString()];
  if (a.isIPv4Mapped) return [own, a.unmap().toString()];
  return [own];
}

/** The columns of an entry the batch adds, in the order SQLite's cached statement binds them. */
const ENTRY_COLUMNS = [
  'id',
  'tenant_id',
  'name',
  'type',
  'value',
  'canonical',
  'enabled',
  'expires_at',
  'source',
  'reason',
  'created_by',
  'version',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof EntryRow)[];

/** An observation row the batch inserts: authorized, with the assessment that authorized it. */
type FreshObserved = NewObservedRow & { status: 'authorized'; assessment: string; assessed_at: string };

/** The columns of an observation the batch makes, in the order SQLite's cached statement binds them. */
const OBSERVED_COLUMNS = OBSERVED_ROW_COLUMNS satisfies readonly (keyof FreshObserved & keyof ObservedRow)[];

/** The columns the batch sets on an observation that exists, in the order they are bound (then its id). */
const OBSERVED_UPDATE_COLUMNS = ['status', 'reasons', 'assessment', 'assessed_at', 'version'] as const;

/**
 * Inserts the batch's entries and writes its observations `authorized`: on SQLite a cached statement
 * per row (`StoreDialect.insertRows`: no SQL built and parsed per batch, and the rows returned are
 * the ones written, so no RETURNING to read back), elsewhere a multi-row statement per chunk.
 */
async function writeListed(
  ctx: StoreContext,
  trx: Transaction<Database>,
  tenantId: string,
  listed: readonly { item: Item; before: ObservedIp | null; entry: EntryRow | null }[],
): Promise<{ observed: ObservedIp; entry: TenantIpEntry | null }[]> {
  const insertRows = ctx.dialect.insertRows;
  const entries = listed.flatMap((l) => (l.entry === null ? [] : [l.entry]));
  const entryById = new Map<string, TenantIpEntry>();
  if (insertRows !== undefined) {
    // No row skipped: the id is new, and a duplicate value would break the list's unique constraint
    // and fail the batch, which the list read under the write lock rules out. A skipped row would
    // still be returned as written.
    insertRows(
      'tenant_ip_entries',
      ENTRY_COLUMNS,
      null,
      entries.map((e) => ENTRY_COLUMNS.map((c) => e[c])),
    );
    for (const e of entries) entryById.set(e.id, tenantIpList.fromRow(e, tenantId));
  } else {
    for (let i = 0; i < entries.length; i += CHUNK) {
      const rows = await trx
        .insertInto('tenant_ip_entries')
        .values(entries.slice(i, i + CHUNK))
        .returningAll()
        .execute();
      for (const r of rows) entryById.set(r.id, tenantIpList.fromRow(r, r.tenant_id));
    }
  }
  const line = (a: Assessment): string => `authorized automatically (score ${a.score})`;
  const freshItems = listed.filter((l) => l.before === null).map((l) => l.item);
  const fresh: FreshObserved[] = freshItems.map((item) => ({
    id: newId('obs'),
    tenant_id: tenantId,
    key_id: item.keyId,
    address: item.addr,
    first_seen: item.at.toISOString(),
    last_seen: item.at.toISOString(),
    // The recorder counts the calls; this row only carries the decision.
    count: 0,
    status: 'authorized' as const,
    reasons: JSON.stringify([line(item.assessment)]),
    assessment: JSON.stringify(item.assessment),
    assessed_at: item.at.toISOString(),
    version: 1,
  }));
  const inserted = new Map<string, ObservedIp>();
  if (insertRows !== undefined) {
    // No row skipped: the id is new, and (tenant, key, address) cannot conflict: these rows were
    // missing under the lock.
    insertRows(
      'observed_ips',
      OBSERVED_COLUMNS,
      null,
      fresh.map((r) => OBSERVED_COLUMNS.map((c) => r[c])),
    );
    // As read back, without parsing the JSON just made from these very values.
    const item = (i: number): Item => freshItems[i] as Item;
    for (const [i, r] of fresh.entries())
      inserted.set(`${r.key_id}\n${r.address}`, {
        id: r.id,
        tenantId: r.tenant_id,
        keyId: r.key_id,
        address: r.address,
        firstSeen: toDate(r.first_seen),
        lastSeen: toDate(r.last_seen),
        count: r.count,
        status: r.status,
        reasons: [line(item(i).assessment)],
        // The checked assessment the row's JSON was made from.
        assessment: item(i).assessment,
        version: r.version,
      });
  } else {
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const rows = await trx
        .insertInto('observed_ips')
        .values(fresh.slice(i, i + CHUNK))
        .returningAll()
        .execute();
      for (const r of rows) inserted.set(`${r.key_id}\n${r.address}`, observedFromRow(ctx, r));
    }
  }
  const out: { observed: ObservedIp; entry: TenantIpEntry | null }[] = [];
  const updateRows = ctx.dialect.updateRows;
  const updated: unknown[][] = [];
  for (const { item, before, entry } of listed) {
    let observed: ObservedIp;
    if (before === null) {
      observed = inserted.get(`${item.keyId}\n${item.addr}`) as ObservedIp;
    } else if (updateRows !== undefined) {
      // SQLite: a kept statement, and the row as written made from the one read under the write
      // lock in this transaction (nothing else can have changed it), not read back and parsed.
      const reasons = [...before.reasons, line(item.assessment)];
      const version = before.status === 'authorized' ? before.version : before.version + 1;
      updated.push([
        'authorized',
        JSON.stringify(reasons),
        JSON.stringify(item.assessment),
        item.at.toISOString(),
        version,
        before.id,
      ]);
      observed = { ...before, status: 'authorized', reasons, assessment: item.assessment, version };
    } else {
      const row = await trx
        .updateTable('observed_ips')
        .set({
          status: 'authorized',
          reasons: JSON.stringify([...before.reasons, line(item.assessment)]),
          assessment: JSON.stringify(item.assessment),
          assessed_at: item.at.toISOString(),
          version: before.status === 'authorized' ? before.version : before.version + 1,
        })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      observed = observedFromRow(ctx, row);
    }
    out.push({ observed, entry: entry === null ? null : (entryById.get(entry.id) as TenantIpEntry) });
  }
  if (updateRows !== undefined && updated.length > 0)
    updateRows('observed_ips', OBSERVED_UPDATE_COLUMNS, 'id', updated);
  return out;
}

/**
 * The observation of an address the `auto` mode trusted while its key is in a burst: pending, with
 * the assessment held by `key-burst`, made now so that the trusted one a node still sends with its
 * calls does not replace it. A new row is notified here, since the recorder's write will find it.
 */
async function holdThisOne(
  ctx: StoreContext,
  trx: Transaction<Database>,
  before: ObservedIp | null,
  h: {
    readonly tenantId: string;
    readonly keyId: string;
    readonly addr: string;
    readonly at: Date;
    readonly assessment: Assessment;
    readonly n: number;
    readonly limit: number;
  },
): Promise<void> {
  if (before !== null && before.status !== 'pending') return;
  const now = nowIso();
  const held = JSON.stringify(heldForBurst(h.assessment, h.n, h.limit));
  const line = `held: a burst of ${h.n} new addresses on the key within an hour (holds at ${h.limit})`;
  if (before !== null) {
    await trx
      .updateTable('observed_ips')
      .set({ assessment: held, assessed_at: now, reasons: JSON.stringify([...before.reasons, line]) })
      .where('id', '=', before.id)
      .execute();
    return;
  }
  const id = newId('obs');
  await trx
    .insertInto('observed_ips')
    .values({
      id,
      tenant_id: h.tenantId,
      key_id: h.keyId,
      address: h.addr,
      first_seen: h.at.toISOString(),
      last_seen: h.at.toISOString(),
      // The recorder counts the calls; this row only carries the decision.
      count: 0,
      status: 'pending',
      reasons: JSON.stringify(['tenant-ip-not-listed', line]),
      assessment: held,
      assessed_at: now,
      version: 1,
    })
    .execute();
  await enqueuePending(
    ctx,
    trx,
    [
      {
        tenantId: h.tenantId,
        keyId: h.keyId,
        address: h.addr,
        observedId: id,
        firstSeen: h.at.toISOString(),
      },
    ],
    now,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
