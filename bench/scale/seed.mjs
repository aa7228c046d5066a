/**
 * Seeds a store at platform size through the store's own schema, in bulk: tenants with their IP
 * lists, one key per tenant with IP and domain rules, and APIs with allowlists. Not one HTTP write
 * per entry (a million of those would take hours); rows go in with multi-row INSERTs in one
 * transaction, and one `changes` row marks the seed, so nodes see a store at version 1.
 *
 * The shape (per million entries): 100,000 tenants with 1–100 entries each (10 on average: most
 * tenants list a handful of addresses, a few list many), 80 % single IPv4 addresses, the rest IPv4
 * networks /24–/31 and IPv6 addresses and /48–/64 networks; 100,000 keys, each with 2 IP rules and
 * 2 domain rules; 1,000 APIs on their own hosts with 10 allowlist entries each. Smaller sizes scale
 * every count down in proportion (at least one API).
 *
 * Deterministic: the same size and seed give the same rows, the same key secrets and the same
 * owner token.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';

/** A seeded 32-bit generator (mulberry32). */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** An id in the store's format (prefix, 26 base-32 characters), ordered by `n`. */
export function benchId(kind, n) {
  return `${kind}_${n.toString(32).padStart(26, '0')}`;
}

/** The secret of the seeded key of tenant `t`. */
export function benchKeySecret(t) {
  return `ipg_live_bench${String(t).padStart(40, '0')}`;
}

/** The owner token every seeded store has. */
export const BENCH_OWNER_TOKEN = `ipg_adm_bench${'0'.repeat(40)}`;

/** How many of each thing a seed of `entries` tenant entries holds. */
export function seedShape(entries) {
  const tenants = Math.max(1, Math.round(entries / 10));
  return {
    entries,
    tenants,
    keys: tenants,
    keyIpEntries: 2 * tenants,
    keyDomainEntries: 2 * tenants,
    apis: Math.max(1, Math.round(entries / 1000)),
    apiAllowlistEntries: 10 * Math.max(1, Math.round(entries / 1000)),
  };
}

const ipv4 = (n) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const hex = (next) => ((next() % 0xfffe) + 1).toString(16);

/** A random entry value in canonical form: 80 % single IPv4, 12 % IPv4 networks, 8 % IPv6. */
function entryValue(next) {
  const roll = next() % 100;
  // Public-looking space only (1.0.0.0–223.255.255.255), like the lists people keep.
  const address = ((next() % 222) + 1) * 2 ** 24 + (next() & 0xffffff);
  if (roll < 80) return { value: ipv4(address), type: 'ip' };
  if (roll < 92) {
    const length = 24 + (next() % 8);
    const size = 2 ** (32 - length);
    return { value: `${ipv4(address - (address % size))}/${length}`, type: 'range' };
  }
  if (roll < 96) return { value: `2001:db8:${hex(next)}:${hex(next)}::${hex(next)}`, type: 'ip' };
  return next() % 2 === 0
    ? { value: `2001:db8:${hex(next)}::/48`, type: 'range' }
    : { value: `2001:db8:${hex(next)}:${hex(next)}::/64`, type: 'range' };
}

/** 1–100 entries, 10 on average (a geometric-like spread: most small, a few large). */
function entriesOfTenant(next) {
  const u = (next() + 1) / 4294967297;
  return Math.min(100, 1 + Math.floor(-Math.log(u) * 9));
}

/**
 * Writes the seed into a migrated, empty store database.
 *
 * @param {import('kysely').Kysely<any>} db
 * @param {'sqlite' | 'postgres'} dialect
 * @param {{ entries: number, seed?: number, upstreamUrl?: string, write?: boolean, onProgress?: (text: string) => void }} options
 *   `write: false` writes nothing: the ids and secrets of a store this seed already filled.
 * @returns the ids and secrets the benchmark needs
 */
export async function seedStore(db, dialect, options) {
  const shape = seedShape(options.entries);
  const next = seededRandom(options.seed ?? 1);
  const flag = (b) => (dialect === 'sqlite' ? (b ? 1 : 0) : b);
  const at = new Date('2026-01-01T00:00:00.000Z').toISOString();
  let serial = 0;
  const id = (kind) => benchId(kind, ++serial);

  const batches = {
    tenants: [],
    tenant_ip_entries: [],
    apis: [],
    api_allowlist_entries: [],
    keys: [],
    key_ip_entries: [],
    key_domain_entries: [],
  };
  const tenantIds = [];
  const keyIds = [];
  let tenantEntries = 0;

  const listEntry = (ownerColumn, ownerId, value, type, name) => ({
    id: id('ent'),
    [ownerColumn]: ownerId,
    name,
    type,
    value,
    canonical: value,
    enabled: flag(true),
    expires_at: null,
    source: 'manual',
    reason: null,
    created_by: 'bench:seed',
    version: 1,
    created_at: at,
    updated_at: at,
  });

  // How many entries each tenant lists: drawn, then nudged one at a time until they add up exactly.
  const counts = Array.from({ length: shape.tenants }, () => entriesOfTenant(next));
  let total = counts.reduce((a, b) => a + b, 0);
  while (total !== shape.entries) {
    const t = next() % shape.tenants;
    if (total < shape.entries && counts[t] < 100) {
      counts[t]++;
      total++;
    } else if (total > shape.entries && counts[t] > 1) {
      counts[t]--;
      total--;
    }
  }

  for (let t = 0; t < shape.tenants; t++) {
    const tenantId = id('ten');
    tenantIds.push(tenantId);
    batches.tenants.push({
      id: tenantId,
      name: `Tenant ${t}`,
      ip_mode: 'manual',
      ip_entry_limit: 100,
      key_ip_limit: 5,
      key_domain_limit: 5,
      version: 1,
      created_at: at,
      updated_at: at,
    });
    const count = counts[t];
    const seen = new Set();
    // Tenant 0 lists 127.0.0.1: the gateway benchmark calls with its key from there.
    if (t === 0) {
      seen.add('127.0.0.1');
      batches.tenant_ip_entries.push(listEntry('tenant_id', tenantId, '127.0.0.1', 'ip', 'bench caller'));
    }
    while (seen.size < count) {
      const { value, type } = entryValue(next);
      if (seen.has(value)) continue;
      seen.add(value);
      batches.tenant_ip_entries.push(listEntry('tenant_id', tenantId, value, type, `entry ${seen.size}`));
    }
    tenantEntries += seen.size;

    const keyId = id('key');
    keyIds.push(keyId);
    const secret = benchKeySecret(t);
    batches.keys.push({
      id: keyId,
      tenant_id: tenantId,
      name: `key ${t}`,
      prefix: secret.slice(0, 13),
      secret_hash: sha256(secret),
      status: 'active',
      // Tenant 0's key is the gateway benchmark's: no key rules, so only the tenant list applies.
      ip_restriction_enabled: flag(t !== 0),
      domain_restriction_enabled: flag(t !== 0 && t % 2 === 0),
      version: 1,
      created_at: at,
      updated_at: at,
      rotated_at: null,
      revoked_at: null,
    });
    for (let k = 0; k < 2; k++) {
      const { value, type } = entryValue(next);
      batches.key_ip_entries.push({
        id: id('kie'),
        key_id: keyId,
        name: `server ${k}`,
        type,
        value,
        canonical: value,
        version: 1,
        created_at: at,
        updated_at: at,
      });
      const domain = k === 0 ? `app${t}.example.com` : `*.t${t}.example.org`;
      batches.key_domain_entries.push({
        id: id('kde'),
        key_id: keyId,
        name: `site ${k}`,
        value: domain,
        canonical: k === 0 ? `https://${domain}` : domain,
        version: 1,
        created_at: at,
        updated_at: at,
      });
    }
  }

  const apiIds = [];
  for (let a = 0; a < shape.apis; a++) {
    const apiId = id('api');
    apiIds.push(apiId);
    batches.apis.push({
      id: apiId,
      name: `API ${a}`,
      host: `api${a}.bench.test`,
      path_prefix: '/',
      strip_prefix: flag(false),
      upstream_url: 'http://127.0.0.1:9/',
      auth_header: 'authorization',
      version: 1,
      created_at: at,
      updated_at: at,
    });
    for (let e = 0; e < 10; e++) {
      const { value, type } = entryValue(next);
      batches.api_allowlist_entries.push(listEntry('api_id', apiId, value, type, `partner ${e}`));
    }
  }
  // The catch-all the gateway benchmark calls: no host, no allowlist.
  const benchApiId = id('api');
  batches.apis.push({
    id: benchApiId,
    name: 'bench catch-all',
    host: null,
    path_prefix: '/',
    strip_prefix: flag(false),
    upstream_url: options.upstreamUrl ?? 'http://127.0.0.1:9/',
    auth_header: 'authorization',
    version: 1,
    created_at: at,
    updated_at: at,
  });

  if (options.write !== false) await writeSeed(db, dialect, batches, id, at, options.onProgress);

  return {
    shape: { ...shape, entries: tenantEntries },
    tenantIds,
    // Tenants with room for a few more entries under the limit of 100: where the benchmark writes.
    writableTenantIds: tenantIds.filter((_, t) => counts[t] <= 95 && t !== 0),
    keyIds,
    apiIds,
    benchApiId,
    benchKey: { tenantId: tenantIds[0], keyId: keyIds[0], secret: benchKeySecret(0) },
    ownerToken: BENCH_OWNER_TOKEN,
  };
}

/** Whether the store already holds a seed (its marking change: a seed's transaction is all or nothing). */
export async function isSeeded(db) {
  const row = await db
    .selectFrom('changes')
    .select('version')
    .where('kind', '=', 'bench.seeded')
    .executeTakeFirst();
  return row !== undefined;
}

async function writeSeed(db, dialect, batches, id, at, onProgress) {
  await db.transaction().execute(async (trx) => {
    for (const [table, rows] of Object.entries(batches)) {
      const columns = rows.length === 0 ? 1 : Object.keys(rows[0]).length;
      // SQLite binds at most 32,766 parameters per statement.
      const chunk = Math.max(1, Math.floor(30_000 / columns));
      for (let i = 0; i < rows.length; i += chunk) {
        await trx
          .insertInto(table)
          .values(rows.slice(i, i + chunk))
          .execute();
      }
      onProgress?.(`${table}: ${rows.length}`);
    }
    await trx
      .insertInto('principals')
      .values({
        id: id('prn'),
        kind: 'token',
        name: 'bench owner',
        role: 'owner',
        tenant_id: null,
        secret_hash: sha256(BENCH_OWNER_TOKEN),
        password_hash: null,
        version: 1,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await trx
      .insertInto('changes')
      .values({ at, tenant_id: null, api_id: null, key_id: null, kind: 'bench.seeded' })
      .execute();
  });
  // Fresh statistics, as a database that grew over time would have.
  if (dialect === 'postgres') await sql`analyze`.execute(db);
}
