import { IpGateError } from '@ipgate/core';
import type { Selectable, Transaction } from 'kysely';
import type { StoreContext } from './context.js';
import type { Database, TenantsTable } from './database.js';
import { checkVersion, notFound } from './errors.js';
import { newId } from './ids.js';
import { enqueueEvents } from './notification-queue.js';
import { recordChange } from './record.js';
import { pagePosition, readById, readCreationPage } from './resource-reads.js';
import { flag, nowIso, toBool, toDate } from './rows.js';
import type {
  CreateOptions,
  CreateTenantInput,
  MutationOptions,
  Page,
  PageRequest,
  Tenant,
  UpdateTenantInput,
} from './store.js';
import * as v from './validate.js';
import { IP_MODES } from './vocabulary.js';

/**
 * The default limits (docs/architecture/management.md#limits): 100 tenant entries, five IPs and five domains
 * per key.
 */
export const DEFAULT_LIMITS = { ipEntryLimit: 100, keyIpLimit: 5, keyDomainLimit: 5 } as const;

/**
 * The stored row as the public entity.
 */
export function tenantFromRow(row: Selectable<TenantsTable>): Tenant {
  return {
    id: row.id,
    name: row.name,
    ipMode: row.ip_mode,
    ipEntryLimit: row.ip_entry_limit,
    keyIpLimit: row.key_ip_limit,
    keyDomainLimit: row.key_domain_limit,
    enforce: toBool(row.enforce),
    version: row.version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * Reads a tenant in a write transaction and, on PostgreSQL, locks its row until commit: every write
 * that must see a stable tenant (its limits, its entry count) goes through here first.
 *
 * @example
 * const tenant = await lockTenant(ctx, trx, tenantId); // throws IPG_NOT_FOUND
 */
export async function lockTenant(
  ctx: StoreContext,
  trx: Transaction<Database>,
  tenantId: string,
): Promise<Tenant> {
  const row = await trx
    .selectFrom('tenants')
    .selectAll()
    .where('id', '=', tenantId)
    .$if(ctx.dialect.lockRows, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (row === undefined) throw notFound('tenant', tenantId);
  return tenantFromRow(row);
}

/**
 * Creates a tenant with version 1.
 *
 * @example
 * await createTenant(ctx, { name: 'Acme' }, { actor: 'user:ops' });
 */
export async function createTenant(
  ctx: StoreContext,
  input: CreateTenantInput,
  options: CreateOptions,
): Promise<Tenant> {
  const actor = v.actor(options.actor);
  const name = v.text(input.name, 'name');
  const ipMode = input.ipMode === undefined ? 'manual' : v.oneOf(input.ipMode, 'ipMode', IP_MODES);
  const ipEntryLimit = v.limit(input.ipEntryLimit ?? DEFAULT_LIMITS.ipEntryLimit, 'ipEntryLimit');
  const keyIpLimit = v.limit(input.keyIpLimit ?? DEFAULT_LIMITS.keyIpLimit, 'keyIpLimit');
  const keyDomainLimit = v.limit(input.keyDomainLimit ?? DEFAULT_LIMITS.keyDomainLimit, 'keyDomainLimit');
  const enforce = flag(input.enforce === undefined ? true : v.bool(input.enforce, 'enforce'));
  return ctx.dialect.transaction(async (trx) => {
    const now = nowIso();
    const row = await trx
      .insertInto('tenants')
      .values({
        id: newId('ten'),
        name,
        ip_mode: ipMode,
        ip_entry_limit: ipEntryLimit,
        key_ip_limit: keyIpLimit,
        key_domain_limit: keyDomainLimit,
        enforce,
        version: 1,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const tenant = tenantFromRow(row);
    await recordChange(ctx, trx, now, {
      actor,
      action: 'tenant.created',
      tenantId: tenant.id,
      targetType: 'tenant',
      targetId: tenant.id,
      before: null,
      after: tenant,
    });
    return tenant;
  });
}

/**
 * One tenant, or IPG_NOT_FOUND.
 */
export async function getTenant(ctx: StoreContext, tenantId: string): Promise<Tenant> {
  return readById(ctx, 'tenants', 'tenant', tenantId, tenantFromRow);
}

/**
 * Tenants, oldest first, one page at a time.
 */
export async function listTenants(ctx: StoreContext, page?: PageRequest): Promise<Page<Tenant>> {
  return readCreationPage(ctx, 'tenants', pagePosition(page), tenantFromRow);
}

/**
 * Changes name, mode or limits. Lowering a limit below the current count keeps the entries; only new
 * additions are refused.
 *
 * @example
 * await updateTenant(ctx, id, { ipMode: 'auto' }, { actor: 'user:ops', expectedVersion: 1 });
 */
export async function updateTenant(
  ctx: StoreContext,
  tenantId: string,
  patch: UpdateTenantInput,
  options: MutationOptions,
): Promise<Tenant> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  const set = {
    ...(patch.name === undefined ? {} : { name: v.text(patch.name, 'name') }),
    ...(patch.ipMode === undefined ? {} : { ip_mode: v.oneOf(patch.ipMode, 'ipMode', IP_MODES) }),
    ...(patch.ipEntryLimit === undefined
      ? {}
      : { ip_entry_limit: v.limit(patch.ipEntryLimit, 'ipEntryLimit') }),
    ...(patch.keyIpLimit === undefined ? {} : { key_ip_limit: v.limit(patch.keyIpLimit, 'keyIpLimit') }),
    ...(patch.keyDomainLimit === undefined
      ? {}
      : { key_domain_limit: v.limit(patch.keyDomainLimit, 'keyDomainLimit') }),
    ...(patch.enforce === undefined ? {} : { enforce: flag(v.bool(patch.enforce, 'enforce')) }),
  };
  return ctx.dialect.transaction(async (trx) => {
    const before = await lockTenant(ctx, trx, tenantId);
    checkVersion('tenant', before, expected);
    await assertLimitsHold(trx, tenantId, set);
    const now = nowIso();
    const row = await trx
      .updateTable('tenants')
      .set({ ...set, version: before.version + 1, updated_at: now })
      .where('id', '=', tenantId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = tenantFromRow(row);
    await recordChange(ctx, trx, now, {
      actor,
      // A mode change is the one tenant change people look for in the trail (who switched review
      // off, or on to auto): it has an action of its own, even when limits changed with it.
      action: after.ipMode !== before.ipMode ? 'tenant.ip_mode.changed' : 'tenant.updated',
      tenantId,
      targetType: 'tenant',
      targetId: tenantId,
      before,
      after,
    });
    if (before.ipMode !== 'off' && after.ipMode === 'off') {
      await enqueueEvents(
        ctx,
        trx,
        [
          {
            tenantId,
            type: 'review.stopped',
            dedupeKey: `review.stopped:${after.version}`,
            observedId: null,
            payload: { previousMode: before.ipMode, actor },
          },
        ],
        now,
      );
    }
    return after;
  });
}

/**
 * Deletes a tenant; its lists, keys and observed addresses go with it (foreign keys cascade), its
 * audit events stay.
 */
export async function deleteTenant(
  ctx: StoreContext,
  tenantId: string,
  options: MutationOptions,
): Promise<void> {
  const actor = v.actor(options.actor);
  const expected = v.expectedVersion(options.expectedVersion);
  await ctx.dialect.transaction(async (trx) => {
    const before = await lockTenant(ctx, trx, tenantId);
    checkVersion('tenant', before, expected);
    // Read before the cascade takes them: the audit event keeps what went with the tenant (no
    // secrets: keys and principals are stored as hashes, and those are left out too).
    const removed = await dependents(trx, tenantId);
    await trx.deleteFrom('tenants').where('id', '=', tenantId).execute();
    await recordChange(ctx, trx, nowIso(), {
      actor,
      action: 'tenant.deleted',
      tenantId,
      targetType: 'tenant',
      targetId: tenantId,
      before: { ...before, removed },
      after: null,
    });
  });
}

/** What deleting a tenant takes with it, as its `tenant.deleted` audit event records it. */
async function dependents(trx: Transaction<Database>, tenantId: string) {
  const keys = await trx
    .selectFrom('keys')
    .select(['id', 'name', 'prefix', 'status'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  const keyIds = keys.map((k) => k.id);
  const ipEntries = await trx
    .selectFrom('tenant_ip_entries')
    .select(['id', 'name', 'value', 'source'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  const keyIpEntries =
    keyIds.length === 0
      ? []
      : await trx
          .selectFrom('key_ip_entries')
          .select(['id', 'key_id as keyId', 'name', 'value'])
          .where('key_id', 'in', keyIds)
          .orderBy('id')
          .execute();
  const keyDomainEntries =
    keyIds.length === 0
      ? []
      : await trx
          .selectFrom('key_domain_entries')
          .select(['id', 'key_id as keyId', 'name', 'value'])
          .where('key_id', 'in', keyIds)
          .orderBy('id')
          .execute();
  const principals = await trx
    .selectFrom('principals')
    .select(['id', 'kind', 'name', 'role'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  const observed = await trx
    .selectFrom('observed_ips')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return {
    keys,
    ipEntries,
    keyIpEntries,
    keyDomainEntries,
    principals,
    observedIps: Number(observed.n),
  };
}

/**
 * A limit below what a list holds already would leave it over its limit with nothing said about the
 * surplus: refused (IPG_LIMIT_BELOW_COUNT), nothing is removed to make room.
 */
async function assertLimitsHold(
  trx: Transaction<Database>,
  tenantId: string,
  set: { ip_entry_limit?: number; key_ip_limit?: number; key_domain_limit?: number },
): Promise<void> {
  const below = (field: string, limit: number, count: number, what: string) =>
    new IpGateError(
      'IPG_LIMIT_BELOW_COUNT',
      `${field} ${limit} is below the ${count} entries ${what} holds now.`,
      { field, hint: `Remove entries first, or set ${field} to ${count} or more.` },
    );
  if (set.ip_entry_limit !== undefined) {
    const { n } = await trx
      .selectFrom('tenant_ip_entries')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    if (Number(n) > set.ip_entry_limit) {
      throw below('ipEntryLimit', set.ip_entry_limit, Number(n), "the tenant's IP list");
    }
  }
  for (const [field, table, limit] of [
    ['keyIpLimit', 'key_ip_entries', set.key_ip_limit],
    ['keyDomainLimit', 'key_domain_entries', set.key_domain_limit],
  ] as const) {
    if (limit === undefined) continue;
    const most = await trx
      .selectFrom(table)
      .innerJoin('keys', 'keys.id', `${table}.key_id`)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('keys.tenant_id', '=', tenantId)
      .groupBy(`${table}.key_id`)
      .orderBy('n', 'desc')
      .limit(1)
      .executeTakeFirst();
    const n = Number(most?.n ?? 0);
    if (n > limit) throw below(field, limit, n, "one of its keys' lists");
  }
}
