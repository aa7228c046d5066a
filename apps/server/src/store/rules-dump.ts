import type { Kysely } from 'kysely';
import { apiFromRow } from './apis.js';
import type { StoreContext } from './context.js';
import type { Database } from './database.js';
import { ipListEntryFromRow } from './ip-lists.js';
import { keyDomainList, keyIpList } from './key-entries.js';
import { keyFromRow } from './keys.js';
import type { RulesDump } from './store.js';
import { tenantFromRow } from './tenants.js';

/**
 * Everything the request path compiles, read in one read-only transaction together with the change
 * version it reflects, so a snapshot built from it is exactly "every change up to `version`".
 * Rows come in a stable order (creation time, then id) so equal dumps compare equal.
 *
 * @example
 * const dump = await dumpRules(ctx);
 * const snapshot = compile(dump); // then follow changesSince(dump.version)
 */
export async function dumpRules(ctx: StoreContext): Promise<RulesDump> {
  return ctx.dialect.readTransaction((db) => readDump(db));
}

async function readDump(db: Kysely<Database>): Promise<RulesDump> {
  // The version first: under the snapshot every later read sees exactly the changes up to it.
  const top = await db
    .selectFrom('changes')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  const tenants = await db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute();
  const tenantIpEntries = await db
    .selectFrom('tenant_ip_entries')
    .selectAll()
    .orderBy('tenant_id')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const apis = await db.selectFrom('apis').selectAll().orderBy('created_at').orderBy('id').execute();
  const allowlist = await db
    .selectFrom('api_allowlist_entries')
    .selectAll()
    .orderBy('api_id')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  // Revoked keys never authenticate, so neither they nor their entries belong in a snapshot.
  const keys = await db
    .selectFrom('keys')
    .selectAll()
    .where('status', '=', 'active')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const keyIpEntries = await db
    .selectFrom('key_ip_entries')
    .selectAll('key_ip_entries')
    .innerJoin('keys', 'keys.id', 'key_ip_entries.key_id')
    .where('keys.status', '=', 'active')
    .orderBy('key_ip_entries.key_id')
    .orderBy('key_ip_entries.created_at')
    .orderBy('key_ip_entries.id')
    .execute();
  const keyDomainEntries = await db
    .selectFrom('key_domain_entries')
    .selectAll('key_domain_entries')
    .innerJoin('keys', 'keys.id', 'key_domain_entries.key_id')
    .where('keys.status', '=', 'active')
    .orderBy('key_domain_entries.key_id')
    .orderBy('key_domain_entries.created_at')
    .orderBy('key_domain_entries.id')
    .execute();
  return {
    version: top?.v === null || top?.v === undefined ? 0 : Number(top.v),
    tenants: tenants.map(tenantFromRow),
    tenantIpEntries: tenantIpEntries.map((r) => ({ ...ipListEntryFromRow(r), tenantId: r.tenant_id })),
    apis: apis.map(apiFromRow),
    apiAllowlistEntries: allowlist.map((r) => ({ ...ipListEntryFromRow(r), apiId: r.api_id })),
    keys: keys.map((r) => ({ ...keyFromRow(r), secretHash: r.secret_hash })),
    keyIpEntries: keyIpEntries.map((r) => keyIpList.fromRow(r)),
    keyDomainEntries: keyDomainEntries.map((r) => keyDomainList.fromRow(r)),
  };
}
