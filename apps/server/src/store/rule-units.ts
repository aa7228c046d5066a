/**
 * The rules the request path compiles, read per unit — a tenant with its IP list, an API with its
 * allowlist, a key with its restrictions — so that a node can recompile just the units a change
 * touched (`rulesSince`) instead of the whole store, and load a large store in parts (`loadRules`).
 * Both read in one read-only transaction, so what they return is exactly "every change up to
 * `version`". See docs/architecture/storage.md, "How a change reaches the request path".
 */
import type { Kysely, Selectable } from 'kysely';
import type { StoreContext, StoreDialect } from './context.js';
import type { ApisTable, Database, IpListEntryColumns } from './database.js';
import { invalid } from './errors.js';
import { flag, toBool, toDateOrNull } from './rows.js';
import type {
  ApiRules,
  KeyRules,
  RuleDomain,
  RuleEntry,
  RulesChunk,
  RulesDelta,
  TenantRules,
} from './store.js';

/**
 * Tenants per part of a full load, with their entries and keys. Small parts keep a part's rows short-
 * lived: rows still alive when the young generation is collected are promoted to the old one, where
 * they die among the compiled units and leave them spread over pages V8 cannot hand back. At
 * 1,000,000 entries on SQLite, `ipgate serve` held ~775 MB resident after the load with 2,000 tenants
 * a part, ~530 MB with 250 and ~425 MB with 25 (bench/README.md#platform-scale). A part costs a few
 * queries: nothing on SQLite, which answers in-process, but a round trip each on PostgreSQL, which
 * gets larger parts so that 100,000 tenants do not cost 20,000 round trips.
 */
const TENANTS_PER_CHUNK = { sqlite: 25, postgres: 100 } as const;
const APIS_PER_CHUNK = 500;
/** Ids per `IN (…)` list: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535. */
const IDS_PER_QUERY = 500;
const DEFAULT_MAX_CHANGES = 1_000;

/**
 * Hands every unit's rules to `onChunk`, a part at a time, from one consistent read; resolves with
 * the change version they reflect.
 *
 * @example
 * const version = await loadRules(ctx, (chunk) => compileInto(snapshot, chunk));
 */
export async function loadRules(
  ctx: StoreContext,
  onChunk: (chunk: RulesChunk) => void | Promise<void>,
  options: { readonly tenantsPerChunk?: number | undefined } = {},
): Promise<number> {
  const perChunk = options.tenantsPerChunk ?? TENANTS_PER_CHUNK[ctx.dialect.name];
  if (!Number.isInteger(perChunk) || perChunk < 1)
    throw invalid('tenantsPerChunk', 'tenantsPerChunk must be a whole number from 1.');
  return ctx.dialect.readTransaction(async (db) => {
    const version = await topVersion(db);
    let after: string | undefined;
    for (;;) {
      const tenants = await db
        .selectFrom('tenants')
        .select(['id', 'ip_mode', 'enforce'])
        .$if(after !== undefined, (qb) => qb.where('id', '>', after as string))
        .orderBy('id')
        .limit(perChunk)
        .execute();
      if (tenants.length === 0) break;
      const first = (tenants[0] as { id: string }).id;
      const last = (tenants[tenants.length - 1] as { id: string }).id;
      const entries = await db
        .selectFrom('tenant_ip_entries')
        .select(['tenant_id', 'id', 'name', 'type', 'value', 'expires_at'])
        .where('tenant_id', '>=', first)
        .where('tenant_id', '<=', last)
        .where('enabled', '=', flag(true))
        .orderBy('tenant_id')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const byTenant = groupRows(entries, (r) => r.tenant_id, ruleEntry);
      const keys = await db
        .selectFrom('keys')
        .select(KEY_COLUMNS)
        .where('tenant_id', '>=', first)
        .where('tenant_id', '<=', last)
        .where('status', '=', 'active')
        .orderBy('tenant_id')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      await onChunk({
        version,
        tenants: tenants.map((t) => ({
          tenant: { id: t.id, ipMode: t.ip_mode, enforce: toBool(t.enforce) },
          entries: byTenant.get(t.id) ?? [],
        })),
        apis: [],
        keys: await keyRules(db, keys),
      });
      after = last;
    }
    after = undefined;
    for (;;) {
      const apis = await db
        .selectFrom('apis')
        .select(API_COLUMNS)
        .$if(after !== undefined, (qb) => qb.where('id', '>', after as string))
        .orderBy('id')
        .limit(APIS_PER_CHUNK)
        .execute();
      if (apis.length === 0) break;
      await onChunk({ version, tenants: [], apis: await apiRules(db, apis), keys: [] });
      after = (apis[apis.length - 1] as { id: string }).id;
    }
    return version;
  });
}

/**
 * The rules of every unit that changes after `version` touched, read together with those changes in
 * one transaction; undefined when there are more than `maxChanges` changes to follow.
 *
 * @example
 * const delta = await rulesSince(ctx, snapshot.version);
 * if (delta === undefined) reloadEverything(); else recompile(delta);
 */
export async function rulesSince(
  ctx: StoreContext,
  version: number,
  options: { readonly maxChanges?: number | undefined; readonly additions?: boolean | undefined } = {},
): Promise<RulesDelta | undefined> {
  if (!Number.isInteger(version) || version < 0)
    throw invalid('version', 'version must be a whole number from 0.');
  const maxChanges = options.maxChanges ?? DEFAULT_MAX_CHANGES;
  if (!Number.isInteger(maxChanges) || maxChanges < 1)
    throw invalid('maxChanges', 'maxChanges must be a whole number from 1.');
  return ctx.dialect.readTransaction(async (db) => {
    const changes = await db
      .selectFrom('changes')
      .select(['version', 'tenant_id', 'api_id', 'key_id', 'kind', 'added_entries'])
      .where('version', '>', version)
      .orderBy('version')
      .limit(maxChanges + 1)
      .execute();
    if (changes.length > maxChanges) return undefined;
    const tenantIds = new Set<string>();
    const apiIds = new Set<string>();
    const keyIds = new Set<string>();
    // Per tenant, the entries its changes added while every one of them only added entries; a
    // tenant leaves this map for good at its first change of any other kind.
    const addedTo = new Map<string, string[]>();
    for (const c of changes) {
      // Principals (admin tokens, users) decide who manages rules, not what they are.
      if (c.kind.startsWith('principal.')) continue;
      // A change names every unit it touched: a key's change names its tenant too, and a review
      // action names the key that called as well as the tenant list it added to.
      if (c.tenant_id !== null) {
        const first = !tenantIds.has(c.tenant_id);
        tenantIds.add(c.tenant_id);
        const added = addedTo.get(c.tenant_id);
        if (c.added_entries === null || (!first && added === undefined)) addedTo.delete(c.tenant_id);
        else if (c.added_entries !== '') {
          if (added === undefined) addedTo.set(c.tenant_id, c.added_entries.split(','));
          else added.push(...c.added_entries.split(','));
        } else if (added === undefined) addedTo.set(c.tenant_id, []);
      }
      if (c.api_id !== null) apiIds.add(c.api_id);
      if (c.key_id !== null) keyIds.add(c.key_id);
    }
    const top =
      changes.length === 0 ? version : Number((changes[changes.length - 1] as { version: number }).version);
    const additions = options.additions === true ? await addedEntries(db, addedTo) : new Map();
    for (const id of additions.keys()) tenantIds.delete(id);
    return {
      version: top,
      tenants: await tenantsById(db, ctx.dialect, [...tenantIds]),
      ...(options.additions === true ? { tenantAdditions: additions } : {}),
      apis: await apisById(db, [...apiIds]),
      keys: await keysById(db, [...keyIds]),
    };
  });
}

const KEY_COLUMNS = [
  'id',
  'tenant_id',
  'name',
  'secret_hash',
  'status',
  'ip_restriction_enabled',
  'domain_restriction_enabled',
] as const;

const API_COLUMNS = [
  'id',
  'name',
  'host',
  'path_prefix',
  'strip_prefix',
  'upstream_url',
  'auth_header',
  'enforce',
] as const;

type KeyRow = Pick<Selectable<Database['keys']>, (typeof KEY_COLUMNS)[number]>;
type ApiRow = Pick<Selectable<ApisTable>, (typeof API_COLUMNS)[number]>;
type EntryRow = Pick<Selectable<IpListEntryColumns>, 'id' | 'name' | 'type' | 'value' | 'expires_at'>;

async function tenantsById(
  db: Kysely<Database>,
  dialect: StoreDialect,
  ids: readonly string[],
): Promise<Map<string, TenantRules | null>> {
  const out = new Map<string, TenantRules | null>(ids.map((id) => [id, null]));
  for (const part of parts(ids)) {
    const tenants = await db
      .selectFrom('tenants')
      .select(['id', 'ip_mode', 'enforce'])
      .where('id', 'in', part)
      .execute();
    const byTenant =
      dialect.selectRows === undefined
        ? groupRows(
            await db
              .selectFrom('tenant_ip_entries')
              .select(['tenant_id', 'id', 'name', 'type', 'value', 'expires_at'])
              .where('tenant_id', 'in', part)
              .where('enabled', '=', flag(true))
              .orderBy('tenant_id')
              .orderBy('created_at')
              .orderBy('id')
              .execute(),
            (r) => r.tenant_id,
            ruleEntry,
          )
        : entriesOfTenants(dialect.selectRows, part);
    for (const t of tenants) {
      out.set(t.id, {
        tenant: { id: t.id, ipMode: t.ip_mode, enforce: toBool(t.enforce) },
        entries: byTenant.get(t.id) ?? [],
      });
    }
  }
  return out;
}

/**
 * {@link tenantsById}'s read of the tenants' entries as arrays of columns (`StoreDialect.selectRows`):
 * the same rows in the same order as the query it replaces there, grouped by tenant.
 */
function entriesOfTenants(
  selectRows: NonNullable<StoreDialect['selectRows']>,
  tenantIds: readonly string[],
): Map<string, RuleEntry[]> {
  const rows = selectRows(
    `select "tenant_id", "id", "name", "type", "value", "expires_at" from "tenant_ip_entries" where "tenant_id" in (${tenantIds.map(() => '?').join(', ')}) and "enabled" = ? order by "tenant_id", "created_at", "id"`,
    [...tenantIds, flag(true)],
  );
  return groupRows(
    rows,
    (r) => r[0] as string,
    (r) =>
      ruleEntry({
        id: r[1] as string,
        name: r[2] as string,
        type: r[3] as EntryRow['type'],
        value: r[4] as string,
        expires_at: r[5] as EntryRow['expires_at'],
      }),
  );
}

/**
 * The entries each tenant's add-only changes added, read by id, oldest first (as the whole list is
 * ordered, so that appending them gives the list a full read would). A tenant is left out — and read
 * whole by the caller — unless every id is there, its own, enabled and without expiry: a row that is
 * not (removed by a later change would have ended the tenant's add-only run; an expiry needs the
 * whole list kept for the expiry queue) means the change does not say what the list is.
 */
async function addedEntries(
  db: Kysely<Database>,
  addedTo: ReadonlyMap<string, readonly string[]>,
): Promise<Map<string, RuleEntry[]>> {
  const out = new Map<string, RuleEntry[]>();
  const wanted = new Map<string, string>();
  for (const [tenantId, ids] of addedTo) {
    if (new Set(ids).size !== ids.length) continue; // an id added twice: not an add-only run
    out.set(tenantId, []);
    for (const id of ids) wanted.set(id, tenantId);
  }
  const rows: (EntryRow & { tenant_id: string; enabled: number | boolean; created_at: unknown })[] = [];
  for (const part of parts([...wanted.keys()])) {
    rows.push(
      ...(await db
        .selectFrom('tenant_ip_entries')
        .select(['tenant_id', 'id', 'name', 'type', 'value', 'expires_at', 'enabled', 'created_at'])
        .where('id', 'in', part)
        .orderBy('created_at')
        .orderBy('id')
        .execute()),
    );
  }
  const unsure = new Set<string>();
  for (const row of rows) {
    const tenantId = wanted.get(row.id);
    if (tenantId === undefined) continue;
    wanted.delete(row.id);
    if (row.tenant_id !== tenantId || !toBool(row.enabled) || row.expires_at !== null) {
      unsure.add(tenantId);
      continue;
    }
    out.get(tenantId)?.push(ruleEntry(row));
  }
  for (const tenantId of wanted.values()) unsure.add(tenantId); // a row that is gone
  for (const tenantId of unsure) out.delete(tenantId);
  return out;
}

async function apisById(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, ApiRules | null>> {
  const out = new Map<string, ApiRules | null>(ids.map((id) => [id, null]));
  for (const part of parts(ids)) {
    const apis = await db.selectFrom('apis').select(API_COLUMNS).where('id', 'in', part).execute();
    for (const rules of await apiRules(db, apis)) out.set(rules.api.id, rules);
  }
  return out;
}

async function keysById(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, KeyRules | null>> {
  const out = new Map<string, KeyRules | null>(ids.map((id) => [id, null]));
  for (const part of parts(ids)) {
    const keys = await db
      .selectFrom('keys')
      .select(KEY_COLUMNS)
      .where('id', 'in', part)
      .where('status', '=', 'active')
      .execute();
    for (const rules of await keyRules(db, keys)) out.set(rules.key.id, rules);
  }
  return out;
}

async function apiRules(db: Kysely<Database>, apis: readonly ApiRow[]): Promise<ApiRules[]> {
  if (apis.length === 0) return [];
  const entries = await db
    .selectFrom('api_allowlist_entries')
    .select(['api_id', 'id', 'name', 'type', 'value', 'expires_at'])
    .where(
      'api_id',
      'in',
      apis.map((a) => a.id),
    )
    .where('enabled', '=', flag(true))
    .orderBy('api_id')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const byApi = groupRows(entries, (r) => r.api_id, ruleEntry);
  return apis.map((a) => ({
    api: {
      id: a.id,
      name: a.name,
      host: a.host,
      pathPrefix: a.path_prefix,
      stripPrefix: toBool(a.strip_prefix),
      upstreamUrl: a.upstream_url,
      authHeader: a.auth_header,
      enforce: toBool(a.enforce),
    },
    entries: byApi.get(a.id) ?? [],
  }));
}

/** The rules of these keys (active ones, read already), in their order. */
async function keyRules(db: Kysely<Database>, keys: readonly KeyRow[]): Promise<KeyRules[]> {
  const ips = new Map<string, RuleEntry[]>();
  const domains = new Map<string, RuleDomain[]>();
  for (const part of parts(keys.map((k) => k.id))) {
    const ipRows = await db
      .selectFrom('key_ip_entries')
      .select(['key_id', 'id', 'name', 'type', 'value'])
      .where('key_id', 'in', part)
      .orderBy('key_id')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const [keyId, list] of groupRows(
      ipRows,
      (r) => r.key_id,
      (r) => ruleEntry({ ...r, expires_at: null }),
    ))
      ips.set(keyId, list);
    const domainRows = await db
      .selectFrom('key_domain_entries')
      .select(['key_id', 'id', 'name', 'value'])
      .where('key_id', 'in', part)
      .orderBy('key_id')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const [keyId, list] of groupRows(
      domainRows,
      (r) => r.key_id,
      (r): RuleDomain => ({ id: r.id, name: r.name, value: r.value }),
    ))
      domains.set(keyId, list);
  }
  return keys.map((k) => ({
    key: {
      id: k.id,
      tenantId: k.tenant_id,
      name: k.name,
      secretHash: k.secret_hash,
      ipRestrictionEnabled: toBool(k.ip_restriction_enabled),
      domainRestrictionEnabled: toBool(k.domain_restriction_enabled),
    },
    ipEntries: ips.get(k.id) ?? [],
    domains: domains.get(k.id) ?? [],
  }));
}

async function topVersion(db: Kysely<Database>): Promise<number> {
  const top = await db
    .selectFrom('changes')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  return top?.v === null || top?.v === undefined ? 0 : Number(top.v);
}

function ruleEntry(r: EntryRow): RuleEntry {
  // The type as a literal: the driver gives every row its own copy of the text, a million of them at scale.
  return {
    id: r.id,
    name: r.name,
    type: r.type === 'ip' ? 'ip' : 'range',
    value: r.value,
    expiresAt: toDateOrNull(r.expires_at),
  };
}

/** Rows in owner order grouped by owner, each turned into what the unit keeps. */
function groupRows<R, T>(
  rows: readonly R[],
  ownerOf: (row: R) => string,
  map: (row: R) => T,
): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const owner = ownerOf(row);
    const list = out.get(owner);
    if (list === undefined) out.set(owner, [map(row)]);
    else list.push(map(row));
  }
  return out;
}

function* parts<T>(items: readonly T[]): Iterable<T[]> {
  for (let i = 0; i < items.length; i += IDS_PER_QUERY) yield items.slice(i, i + IDS_PER_QUERY);
}
