/**
 * The addresses a person rejected, per tenant, as the rules carry them for tenants in `auto`: a node
 * holds such an address without assessing it, so a rejection keeps it out from the node's next
 * refresh on (docs/review.md). Read with the tenants' rules, in the same consistent read.
 */
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { DialectName } from './dialect.js';
import { idsIn } from './ids-in.js';
import type { TenantRules } from './store.js';

/**
 * The rejected addresses (distinct, under any key) of those of `tenants` in `auto`, by tenant; a
 * tenant without any is not in the result. Uses the `observed_ips_status` index (tenant, status).
 *
 * @example
 * const rejected = await rejectedOfAutoTenants(db, 'sqlite', [{ id: 'ten_1', ipMode: 'auto' }]);
 */
export async function rejectedOfAutoTenants(
  db: Kysely<Database>,
  dialect: DialectName,
  tenants: readonly { readonly id: string; readonly ipMode: string }[],
): Promise<Map<string, string[]>> {
  const ids = tenants.filter((t) => t.ipMode === 'auto').map((t) => t.id);
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('observed_ips')
    .select(['tenant_id', 'address'])
    .where(idsIn(dialect, 'tenant_id', ids))
    .where('status', '=', 'rejected')
    .orderBy('tenant_id')
    .orderBy('address')
    .execute();
  for (const r of rows) {
    const list = out.get(r.tenant_id);
    // Ordered by address: the same address under two keys comes in a row.
    if (list === undefined) out.set(r.tenant_id, [r.address]);
    else if (list[list.length - 1] !== r.address) list.push(r.address);
  }
  return out;
}

/**
 * `rules` with the tenant's rejected addresses from `rejected` (as {@link rejectedOfAutoTenants} read
 * them); unchanged when it has none.
 */
export function withRejected(rules: TenantRules, rejected: ReadonlyMap<string, string[]>): TenantRules {
  const addresses = rejected.get(rules.tenant.id);
  return addresses === undefined ? rules : { ...rules, rejected: addresses };
}
