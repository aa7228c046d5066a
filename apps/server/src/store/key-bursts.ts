/**
 * A burst of new addresses on one key, held on every node (docs/architecture/review.md#a-burst-on-one-key).
 * Each node counts the new addresses it sees, but a leaked key used through several nodes would stay
 * under every node's count; the store sees all of them. So the `auto` mode's write counts the key's
 * new addresses again, here, under the tenant's lock, and a burst — seen here or by a node — is noted
 * per key until the window has passed and undoes what `auto` listed for the key within the window:
 * "many new addresses within an hour: hold them all", not only those after the limit.
 */
import type { Transaction } from 'kysely';
import { heldForBurst } from '../review/assessment.js';
import type { StoreContext } from './context.js';
import type { Database } from './database.js';
import { invalid } from './errors.js';
import { enqueuePending } from './notification-queue.js';
import { AUTO_REVIEW_ACTOR, observedFromRow } from './observed-ips.js';
import { recordChange } from './record.js';
import { toDate } from './rows.js';
import type { BurstRule, HoldKeyBurstInput, HoldKeyBurstResult, ObservedIp } from './store.js';
import { removeAddressEntries } from './tenant-ip-list.js';
import { lockTenant } from './tenants.js';
import * as v from './validate.js';

/**
 * Checks a burst rule from a caller: a whole limit from 1, a window from a second to a day.
 *
 * @example
 * checkBurstRule({ limit: 5, windowMs: 3_600_000 });
 */
export function checkBurstRule(rule: BurstRule): BurstRule {
  if (typeof rule !== 'object' || rule === null) throw invalid('burst', 'burst must be { limit, windowMs }.');
  if (!Number.isInteger(rule.limit) || rule.limit < 1)
    throw invalid('burst.limit', 'burst.limit must be a whole number from 1.');
  if (!Number.isInteger(rule.windowMs) || rule.windowMs < 1000 || rule.windowMs > 86_400_000)
    throw invalid('burst.windowMs', 'burst.windowMs must be whole milliseconds from 1000 to 86400000.');
  return { limit: rule.limit, windowMs: rule.windowMs };
}

/**
 * The number of new addresses on the key within the window, as every node wrote them: its
 * observations assessed since `since` (each node assesses an address only when the list lacks it),
 * not counting `except`. One range read of the `(key_id, assessed_at)` index.
 */
export async function newAddressesOnKey(
  trx: Transaction<Database>,
  tenantId: string,
  keyId: string,
  since: Date,
  except?: string,
): Promise<number> {
  const row = await trx
    .selectFrom('observed_ips')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('key_id', '=', keyId)
    .where('assessed_at', '>=', since.toISOString())
    .where('tenant_id', '=', tenantId)
    .$if(except !== undefined, (qb) => qb.where('address', '<>', except as string))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * {@link newAddressesOnKey} for several keys at once (a batch of auto authorizations): key -> count
 * of its observations assessed since `since`, every address included. One grouped read of the
 * `(key_id, assessed_at)` index per 500 keys, from the index alone: a key id is the store's own
 * and belongs to one tenant, whose keys the caller has checked, so no tenant filter is needed —
 * one would read every counted row from the table, and a key's count grows to the burst limit
 * within the hour (thousands with a high limit), read again by every batch.
 */
export async function newAddressesOnKeys(
  trx: Transaction<Database>,
  keyIds: readonly string[],
  since: Date,
): Promise<Map<string, number>> {
  const out = new Map<string, number>(keyIds.map((k) => [k, 0]));
  for (let i = 0; i < keyIds.length; i += 500) {
    const rows = await trx
      .selectFrom('observed_ips')
      .select((eb) => ['key_id', eb.fn.countAll<number>().as('n')])
      .where('key_id', 'in', keyIds.slice(i, i + 500))
      .where('assessed_at', '>=', since.toISOString())
      .groupBy('key_id')
      .execute();
    for (const r of rows) out.set(r.key_id, Number(r.n));
  }
  return out;
}

/** {@link heldBurst} for several keys at once: key -> its burst's count, for the keys held at `at`. */
export async function heldBursts(
  trx: Transaction<Database>,
  keyIds: readonly string[],
  at: Date,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < keyIds.length; i += 500) {
    const rows = await trx
      .selectFrom('key_bursts')
      .select(['key_id', 'new_addresses', 'held_until'])
      .where('key_id', 'in', keyIds.slice(i, i + 500))
      .execute();
    for (const r of rows) if (toDate(r.held_until) > at) out.set(r.key_id, r.new_addresses);
  }
  return out;
}

/** The count of the key's burst while it is held at `at`, or undefined when it is in none. */
export async function heldBurst(
  trx: Transaction<Database>,
  keyId: string,
  at: Date,
): Promise<number | undefined> {
  const row = await trx
    .selectFrom('key_bursts')
    .select(['new_addresses', 'held_until'])
    .where('key_id', '=', keyId)
    .executeTakeFirst();
  return row !== undefined && toDate(row.held_until) > at ? row.new_addresses : undefined;
}

/**
 * Notes the burst and holds what `auto` listed for the key within the window, in the caller's
 * transaction, which must hold the tenant's lock (every writer of the tenant list takes it first).
 * Returns the observations it held.
 */
export async function holdBurstIn(
  ctx: StoreContext,
  trx: Transaction<Database>,
  input: {
    readonly tenantId: string;
    readonly keyId: string;
    readonly newAddresses: number;
    readonly at: Date;
    readonly burst: BurstRule;
  },
): Promise<ObservedIp[]> {
  const { tenantId, keyId, newAddresses, at, burst } = input;
  const now = new Date().toISOString();
  const since = new Date(at.getTime() - burst.windowMs).toISOString();
  const until = new Date(at.getTime() + burst.windowMs).toISOString();
  await trx
    .insertInto('key_bursts')
    .values({
      key_id: keyId,
      tenant_id: tenantId,
      new_addresses: newAddresses,
      started_at: at.toISOString(),
      held_until: until,
    })
    .onConflict((oc) =>
      oc.column('key_id').doUpdateSet((eb) => ({
        new_addresses: eb.ref('excluded.new_addresses'),
        started_at: eb.ref('excluded.started_at'),
        held_until: eb.ref('excluded.held_until'),
      })),
    )
    .execute();
  const rows = await trx
    .selectFrom('observed_ips')
    .selectAll()
    .where('key_id', '=', keyId)
    .where('assessed_at', '>=', since)
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'authorized')
    // One order for every writer, as recordObservations locks rows.
    .orderBy('address')
    .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
    .execute();
  const held: ObservedIp[] = [];
  const line = `held: a burst of ${newAddresses} new addresses on the key within an hour (holds at ${burst.limit}); its automatic authorization was undone`;
  for (const row of rows) {
    const before = observedFromRow(ctx, row);
    // Only what `auto` listed: an address a person authorized, or one a wider entry covers, stays.
    const removedEntries = await removeAddressEntries(trx, tenantId, before.address, ['auto']);
    if (removedEntries.length === 0) continue;
    const assessment =
      before.assessment === null ? null : heldForBurst(before.assessment, newAddresses, burst.limit);
    const written = await trx
      .updateTable('observed_ips')
      .set({
        status: 'pending',
        reasons: JSON.stringify([...before.reasons, line]),
        assessment: assessment === null ? null : JSON.stringify(assessment),
        // Newer than any observation a node still holds with the old verdict, so none replaces it.
        assessed_at: now,
        version: before.version + 1,
      })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const observed = observedFromRow(ctx, written);
    await recordChange(ctx, trx, now, {
      actor: AUTO_REVIEW_ACTOR,
      action: 'tenant.observed_ip.burst_held',
      tenantId,
      keyId,
      targetType: 'observed_ip',
      targetId: observed.id,
      before,
      after: { ...observed, removedEntries },
    });
    held.push(observed);
  }
  await enqueuePending(
    ctx,
    trx,
    held.map((o) => ({
      tenantId,
      keyId,
      address: o.address,
      observedId: o.id,
      firstSeen: o.firstSeen.toISOString(),
    })),
    now,
  );
  return held;
}

/**
 * See {@link Store.holdKeyBurst}.
 *
 * @example
 * await holdKeyBurst(ctx, { tenantId, keyId, newAddresses: 5, at: new Date(), burst: { limit: 5, windowMs: 3_600_000 } });
 */
export async function holdKeyBurst(ctx: StoreContext, input: HoldKeyBurstInput): Promise<HoldKeyBurstResult> {
  const tenantId = v.text(input.tenantId, 'tenantId');
  const keyId = v.text(input.keyId, 'keyId');
  const burst = checkBurstRule(input.burst);
  if (!Number.isInteger(input.newAddresses) || input.newAddresses < 0)
    throw invalid('newAddresses', 'newAddresses must be a whole number from 0.');
  const at = v.dateOrNull(input.at, 'at') ?? new Date();
  return ctx.dialect.transaction(async (trx) => {
    await lockTenant(ctx, trx, tenantId);
    const key = await trx
      .selectFrom('keys')
      .select('id')
      .where('id', '=', keyId)
      .where('tenant_id', '=', tenantId)
      .$if(ctx.dialect.lockRows, (qb) => qb.forShare())
      .executeTakeFirst();
    if (key === undefined) return { newAddresses: input.newAddresses, held: [] };
    const counted = await newAddressesOnKey(trx, tenantId, keyId, new Date(at.getTime() - burst.windowMs));
    const newAddresses = Math.max(input.newAddresses, counted);
    const held = await holdBurstIn(ctx, trx, { tenantId, keyId, newAddresses, at, burst });
    return { newAddresses, held };
  });
}
