import { type Kysely, type Migration, sql } from 'kysely';
import { type ColumnTypes, columnTypes, type DialectName } from '../dialect.js';

/**
 * Creates every table of docs/architecture/storage.md#tables with its keys, unique constraints and indexes.
 *
 * @example
 * const migration = initialMigration('sqlite');
 * await migration.up(db);
 */
export function initialMigration(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    // Migrations deliberately take Kysely<any>: they describe the schema at their point in history,
    // not the current Database type.
    // biome-ignore lint/suspicious/noExplicitAny: see above
    async up(db: Kysely<any>): Promise<void> {
      await createTenants(db, t);
      await createIpList(db, t, 'tenant_ip_entries', 'tenant_id', 'tenants');
      await createApis(db, t);
      await createIpList(db, t, 'api_allowlist_entries', 'api_id', 'apis');
      await createKeys(db, t);
      await createKeyEntries(db, t);
      await createObservedIps(db, t);
      await createAuditEvents(db, t);
      await createRequests(db, t);
      await createPrincipals(db, t);
      await createChanges(db, t);
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      for (const table of [
        'changes',
        'principals',
        'requests',
        'audit_events',
        'observed_ips',
        'key_domain_entries',
        'key_ip_entries',
        'keys',
        'api_allowlist_entries',
        'apis',
        'tenant_ip_entries',
        'tenants',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are untyped by design (see up())
type Db = Kysely<any>;

async function createTenants(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ip_mode', 'text', (c) => c.notNull().defaultTo('manual').check(inList('ip_mode', MODES)))
    .addColumn('ip_entry_limit', 'integer', (c) => c.notNull())
    .addColumn('key_ip_limit', 'integer', (c) => c.notNull().defaultTo(5))
    .addColumn('key_domain_limit', 'integer', (c) => c.notNull().defaultTo(5))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tenants_created').on('tenants').columns(['created_at', 'id']).execute();
}

async function createIpList(
  db: Db,
  t: ColumnTypes,
  table: string,
  ownerColumn: string,
  ownerTable: string,
): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn(ownerColumn, 'text', (c) => c.notNull().references(`${ownerTable}.id`).onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(inList('type', ENTRY_TYPES)))
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('canonical', 'text', (c) => c.notNull())
    .addColumn('enabled', t.flag, (c) => c.notNull())
    .addColumn('expires_at', t.timestamp)
    .addColumn('source', 'text', (c) => c.notNull().check(inList('source', SOURCES)))
    .addColumn('reason', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    // The unique index doubles as the owner index every list query uses.
    .addUniqueConstraint(`${table}_canonical`, [ownerColumn, 'canonical'])
    .execute();
}

async function createApis(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('apis')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('host', 'text')
    .addColumn('path_prefix', 'text', (c) => c.notNull())
    .addColumn('strip_prefix', t.flag, (c) => c.notNull())
    .addColumn('upstream_url', 'text', (c) => c.notNull())
    .addColumn('auth_header', 'text', (c) => c.notNull().check(inList('auth_header', AUTH_HEADERS)))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('apis_created').on('apis').columns(['created_at', 'id']).execute();
}

async function createKeys(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', KEY_STATUSES)))
    .addColumn('ip_restriction_enabled', t.flag, (c) => c.notNull())
    .addColumn('domain_restriction_enabled', t.flag, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('rotated_at', t.timestamp)
    .addColumn('revoked_at', t.timestamp)
    .addUniqueConstraint('keys_secret_hash', ['secret_hash'])
    .execute();
  await db.schema.createIndex('keys_tenant').on('keys').columns(['tenant_id', 'created_at', 'id']).execute();
}

async function createKeyEntries(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('key_ip_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull().references('keys.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(inList('type', ENTRY_TYPES)))
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('canonical', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('key_ip_entries_canonical', ['key_id', 'canonical'])
    .execute();
  await db.schema
    .createTable('key_domain_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull().references('keys.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('canonical', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('key_domain_entries_canonical', ['key_id', 'canonical'])
    .execute();
}

async function createObservedIps(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('observed_ips')
    // A stable handle for the review actions (authorize / reject links), so URLs never carry addresses.
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (c) => c.notNull().references('keys.id').onDelete('cascade'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('first_seen', t.timestamp, (c) => c.notNull())
    .addColumn('last_seen', t.timestamp, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', OBSERVED_STATUSES)))
    .addColumn('reasons', t.json)
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('observed_ips_pk', ['tenant_id', 'key_id', 'address'])
    .execute();
  await db.schema
    .createIndex('observed_ips_status')
    .on('observed_ips')
    .columns(['tenant_id', 'status', 'last_seen'])
    .execute();
  await db.schema
    .createIndex('observed_ips_seen')
    .on('observed_ips')
    .columns(['tenant_id', 'last_seen', 'id'])
    .execute();
}

async function createAuditEvents(db: Db, t: ColumnTypes): Promise<void> {
  // No foreign keys: the history of a tenant outlives the tenant.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('change_version', 'bigint', (c) => c.notNull())
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('before', t.json)
    .addColumn('after', t.json)
    .execute();
  await db.schema
    .createIndex('audit_events_tenant')
    .on('audit_events')
    .columns(['tenant_id', 'change_version'])
    .execute();
  await db.schema.createIndex('audit_events_version').on('audit_events').column('change_version').execute();
}

async function createRequests(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('requests')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('api_id', 'text')
    .addColumn('key_id', 'text')
    .addColumn('client', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull().check(inList('decision', DECISIONS)))
    .addColumn('stage', 'text')
    .addColumn('reason', 'text')
    // double precision, not real: PostgreSQL's real is 4 bytes and would round what SQLite keeps.
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .execute();
  // Retention deletes by time; the request log is read per tenant, newest first.
  await db.schema.createIndex('requests_at').on('requests').column('at').execute();
  await db.schema
    .createIndex('requests_tenant')
    .on('requests')
    .columns(['tenant_id', 'at', 'request_id'])
    .execute();
}

async function createPrincipals(db: Db, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('principals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', PRINCIPAL_KINDS)))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(inList('role', ROLES)))
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('principals_secret_hash', ['secret_hash'])
    .addUniqueConstraint('principals_kind_name', ['kind', 'name'])
    .execute();
}

async function createChanges(db: Db, t: ColumnTypes): Promise<void> {
  await t
    .addAutoIncrementKey(db.schema.createTable('changes'), 'version')
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('api_id', 'text')
    .addColumn('key_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .execute();
}

const MODES = ['off', 'manual', 'auto'];
const ENTRY_TYPES = ['ip', 'range'];
const SOURCES = ['manual', 'auto', 'review'];
const AUTH_HEADERS = ['authorization', 'x-api-key'];
const KEY_STATUSES = ['active', 'revoked'];
const OBSERVED_STATUSES = ['authorized', 'pending', 'rejected'];
const DECISIONS = ['allow', 'deny'];
const PRINCIPAL_KINDS = ['token', 'user'];
const ROLES = ['viewer', 'editor', 'owner'];

/** A CHECK that keeps enumerations honest on both dialects (neither has a portable enum type). */
function inList(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}
