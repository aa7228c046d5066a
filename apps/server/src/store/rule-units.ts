/**
 * The rules the request path compiles, read per unit — a tenant with its IP list, an API with its
 * allowlist, a key with its restrictions — so that a node can recompile just the units a change
 * touched (`rulesSince`) instead of the whole store, and load a large store in parts (`loadRules`).
 * Both read in one read-only transaction, so what they return is exactly "every change up to
 * `version`". See docs/architecture/storage.md, "How a change reaches the request path".
 */
import type { Kysely, Selectable } from 'kysely';
import { read, type StoreContext, type StoreDialect } from './context.js';
import type { ApisTable, Database } from './database.js';
import type { DialectName } from './dialect.js';
import { invalid } from './errors.js';
import { idsIn } from './ids-in.js';
import { NOT_IN_ONE_STATEMENT, rulesSinceInOneStatement } from './postgres-rules-since.js';
import { rejectedOfAutoTenants, withRejected } from './rejected-addresses.js';
import { flag, toBool } from './rows.js';
import {
  type AddedEntryRow,
  changedUnits,
  checkedAdditions,
  type EntryRow,
  ruleEntry,
  wantedAdditions,
} from './rule-changes.js';
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
      const rejected = await rejectedOfAutoTenants(
        db,
        ctx.dialect.name,
        tenants.map((t) => ({ id: t.id, ipMode: t.ip_mode })),
      );
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
        tenants: tenants.map((t) =>
          withRejected(
            {
              tenant: { id: t.id, ipMode: t.ip_mode, enforce: toBool(t.enforce) },
              entries: byTenant.get(t.id) ?? [],
            },
            rejected,
          ),
        ),
        apis: [],
        keys: await keyRules(db, ctx.dialect.name, keys),
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
      await onChunk({ version, tenants: [], apis: await apiRules(db, ctx.dialect.name, apis), keys: [] });
      after = (apis[apis.length - 1] as { id: string }).id;
    }
    return version;
  });
}

/**
 * The rules of every unit that changes after `version` touched, read together with those changes in
 * one consistent read (one statement, or one read-only transaction); undefined when there are more
 * than `maxChanges` changes to follow.
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
  // A storm's changes to tenant lists: one statement on PostgreSQL (postgres-rules-since.ts).
  if (ctx.dialect.name === 'postgres') {
    const delta = await read(ctx, () => rulesSinceInOneStatement(ctx.db, version, maxChanges, options));
    if (delta !== NOT_IN_ONE_STATEMENT) return delta;
  }
  return rulesSinceInTransaction(ctx, version, maxChanges, options);
}

/**
 * {@link rulesSince} read the general way, in one read-only transaction: the changes first, then
 * the units they touched, a query per kind of row.
 *
 * @example
 * const delta = await rulesSinceInTransaction(ctx, 41, 1000, { additions: true });
 */
export function rulesSinceInTransaction(
  ctx: StoreContext,
  version: number,
  maxChanges: number,
  options: { readonly additions?: boolean | undefined },
): Promise<RulesDelta | undefined> {
  return ctx.dialect.readTransaction(async (db) => {
    const changes = await db
      .selectFrom('changes')
      .select(['version', 'tenant_id', 'api_id', 'key_id', 'kind', 'added_entries'])
      .where('version', '>', version)
      .orderBy('version')
      .limit(maxChanges + 1)
      .execute();
    if (changes.length > maxChanges) return undefined;
    const { top, tenantIds, apiIds, keyIds, addedTo } = changedUnits(changes, version);
    const dialect = ctx.dialect;
    const additions = options.additions === true ? await addedEntries(db, dialect, addedTo) : new Map();
    for (const id of additions.keys()) tenantIds.delete(id);
    return {
      version: top,
      tenants: await tenantsById(db, dialect, [...tenantIds]),
      ...(options.additions === true ? { tenantAdditions: additions } : {}),
      apis: await apisById(db, dialect.name, [...apiIds]),
      keys: await keysById(db, dialect.name, [...keyIds]),
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

async function tenantsById(
  db: Kysely<Database>,
  dialect: StoreDialect,
  ids: readonly string[],
): Promise<Map<string, TenantRules | null>> {
  const out = new Map<string, TenantRules | null>(ids.map((id) => [id, null]));
  for (const part of parts(ids)) {
    if (dialect.name === 'postgres') {
      const found = await tenantsWithEntries(db, part);
      const rejected = await rejectedOfAutoTenants(
        db,
        dialect.name,
        [...found.values()].map((r) => r.tenant),
      );
      for (const [id, rules] of found) out.set(id, withRejected(rules, rejected));
      continue;
    }
    const tenants = await db
      .selectFrom('tenants')
      .select(['id', 'ip_mode', 'enforce'])
      .where(idsIn(dialect.name, 'id', part))
      .execute();
    const byTenant =
      dialect.selectRows === undefined
        ? groupRows(
            await db
              .selectFrom('tenant_ip_entries')
              .select(['tenant_id', 'id', 'name', 'type', 'value', 'expires_at'])
              .where(idsIn(dialect.name, 'tenant_id', part))
              .where('enabled', '=', flag(true))
              .orderBy('tenant_id')
              .orderBy('created_at')
              .orderBy('id')
              .execute(),
            (r) => r.tenant_id,
            ruleEntry,
          )
        : entriesOfTenants(dialect.selectRows, part);
    const rejected = await rejectedOfAutoTenants(
      db,
      dialect.name,
      tenants.map((t) => ({ id: t.id, ipMode: t.ip_mode })),
    );
    for (const t of tenants) {
      out.set(
        t.id,
        withRejected(
          {
            tenant: { id: t.id, ipMode: t.ip_mode, enforce: toBool(t.enforce) },
            entries: byTenant.get(t.id) ?? [],
          },
          rejected,
        ),
      );
    }
  }
  return out;
}

/**
 * {@link tenantsById} on PostgreSQL: the tenants and their enabled entries in one statement (a row
 * per entry, one with null entry columns for a tenant without any), so a refresh makes one round
 * trip fewer — a round trip is a socket write, a wake-up of the backend and a parse of its answer
 * on the node, whatever it carries. Tenants that do not exist are not in the result.
 */
async function tenantsWithEntries(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Map<string, TenantRules>> {
  const rows = await db
    .selectFrom('tenants as t')
    .leftJoin('tenant_ip_entries as e', (join) =>
      join.onRef('e.tenant_id', '=', 't.id').on('e.enabled', '=', flag(true)),
    )
    .select([
      't.id as tenant_id',
      't.ip_mode',
      't.enforce',
      'e.id',
      'e.name',
      'e.type',
      'e.value',
      'e.expires_at',
    ])
    .where(idsIn('postgres', 't.id', ids))
    .orderBy('t.id')
    .orderBy('e.created_at')
    .orderBy('e.id')
    .execute();
  const out = new Map<string, TenantRules>();
  let current: { readonly id: string; readonly entries: RuleEntry[] } | undefined;
  for (const r of rows) {
    if (current?.id !== r.tenant_id) {
      current = { id: r.tenant_id, entries: [] };
      out.set(r.tenant_id, {
        tenant: { id: r.tenant_id, ipMode: r.ip_mode, enforce: toBool(r.enforce) },
        entries: current.entries,
      });
    }
    // A tenant without entries comes as one row whose entry columns are null.
    if (r.id === null || r.name === null || r.type === null || r.value === null) continue;
    current.entries.push(
      ruleEntry({ id: r.id, name: r.name, type: r.type, value: r.value, expires_at: r.expires_at }),
    );
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

/** The entries each tenant's add-only changes added, read by id and checked ({@link checkedAdditions}). */
async function addedEntries(
  db: Kysely<Database>,
  dialect: StoreDialect,
  addedTo: ReadonlyMap<string, readonly string[]>,
): Promise<Map<string, RuleEntry[]>> {
  const rows: AddedEntryRow[] = [];
  for (const part of parts([...wantedAdditions(addedTo).keys()])) {
    rows.push(
      ...(await db
        .selectFrom('tenant_ip_entries')
        .select(['tenant_id', 'id', 'name', 'type', 'value', 'expires_at', 'enabled'])
        .where(idsIn(dialect.name, 'id', part))
        .orderBy('created_at')
        .orderBy('id')
        .execute()),
    );
  }
  return checkedAdditions(addedTo, rows);
}

async function apisById(
  db: Kysely<Database>,
  dialect: DialectName,
  ids: readonly string[],
): Promise<Map<string, ApiRules | null>> {
  const out = new Map<string, ApiRules | null>(ids.map((id) => [id, null]));
  for (const part of parts(ids)) {
    const apis = await db
      .selectFrom('apis')
      .select(API_COLUMNS)
      .where(idsIn(dialect, 'id', part))
      .execute();
    for (const rules of await apiRules(db, dialect, apis)) out.set(rules.api.id, rules);
  }
  return out;
}

async function keysById(
  db: Kysely<Database>,
  dialect: DialectName,
  ids: readonly string[],
): Promise<Map<string, KeyRules | null>> {
  const out = new Map<string, KeyRules | null>(ids.map((id) => [id, null]));
  for (const part of parts(ids)) {
    const keys = await db
      .selectFrom('keys')
      .select(KEY_COLUMNS)
      .where(idsIn(dialect, 'id', part))
      .where('status', '=', 'active')
      .execute();
    for (const rules of await keyRules(db, dialect, keys)) out.set(rules.key.id, rules);
  }
  return out;
}

async function apiRules(
  db: Kysely<Database>,
  dialect: DialectName,
  apis: readonly ApiRow[],
): Promise<ApiRules[]> {
  if (apis.length === 0) return [];
  const entries = await db
    .selectFrom('api_allowlist_entries')
    .select(['api_id', 'id', 'name', 'type', 'value', 'expires_at'])
    .where(
      idsIn(
        dialect,
        'api_id',
        apis.map((a) => a.id),
      ),
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
async function keyRules(
  db: Kysely<Database>,
  dialect: DialectName,
  keys: readonly KeyRow[],
): Promise<KeyRules[]> {
  const ips = new Map<string, RuleEntry[]>();
  const domains = new Map<string, RuleDomain[]>();
  for (const part of parts(keys.map((k) => k.id))) {
    const ipRows = await db
      .selectFrom('key_ip_entries')
      .select(['key_id', 'id', 'name', 'type', 'value'])
      .where(idsIn(dialect, 'key_id', part))
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
      .where(idsIn(dialect, 'key_id', part))
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
