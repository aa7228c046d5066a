/**
 * `rulesSince` on PostgreSQL in one statement, for what a storm of changes to tenant lists brings a
 * node: the changes after a version, every tenant they touched (whole, or — for a tenant whose every
 * change only added entries — just those entries), read in one round trip. A single statement sees
 * one snapshot of the database, so no transaction is needed either: against the read-only
 * transaction's five to seven round trips (its BEGIN, the changes, the added entries, the tenants,
 * their entries, its COMMIT), each a socket write, a wake-up of the backend and an answer parsed on
 * the node. Changes that touched an API or a key, and additions that are not as their change said,
 * are read the general way (rule-units.ts), in a transaction, from the start. An `auto` tenant read
 * whole comes with the addresses a person rejected (rejected-addresses.ts).
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { toBool } from './rows.js';
import {
  type AddedEntryRow,
  type ChangeRow,
  changedUnits,
  checkedAdditions,
  ruleEntry,
} from './rule-changes.js';
import type { RulesDelta, TenantRules } from './store.js';

/** What {@link rulesSinceInOneStatement} answers when the changes need the general read. */
export const NOT_IN_ONE_STATEMENT = Symbol('not in one statement');

/** The statement's one row: each part as JSON (arrays of columns), null when empty. */
interface Answer {
  /** [version, tenant_id, api_id, key_id, kind, added_entries] in version order. */
  readonly changes: [number, string | null, string | null, string | null, string, string | null][] | null;
  /**
   * The tenants read whole: [tenant id, ip_mode, enforce, entry id, name, type, value, expires_at]
   * per enabled entry, in list order; one row of null entry columns for a tenant without entries.
   */
  readonly tenants:
    | [string, string, boolean, string | null, string | null, string | null, string | null, string | null][]
    | null;
  /** The entries add-only changes added: [tenant_id, id, name, type, value, expires_at, enabled], in list order. */
  readonly added: [string, string, string, string, string, string | null, boolean][] | null;
  /** Rejected addresses of the tenants read whole that are in `auto`: [tenant_id, address], in that order. */
  readonly rejected: [string, string][] | null;
}

/**
 * The statement. `$1` the version asked from, `$2` how many changes to read (one more than are
 * followed, to tell when there are too many), `$3` whether add-only tenants come as their additions.
 * Principals' changes name no unit (as in `changedUnits`); a tenant is add-only when each of its
 * changes says what it added (`added_entries` not null). The JS side derives the same sets from the
 * changes and checks the rows against them. The ids are looked up as `= any(array(…))`, an index
 * scan of the few rows named whatever the planner thinks of the subquery's size: as an `in (select
 * …)` PostgreSQL hashed the whole tenants table for a refresh of 60 tenants in a store of 10,000.
 */
const STATEMENT = `with "c" as materialized (
  select "version", "tenant_id", "api_id", "key_id", "kind", "added_entries" from "changes"
  where "version" > $1 order by "version" limit $2
), "touched" as (
  select "tenant_id", bool_and("added_entries" is not null) and $3::boolean as "add_only" from "c"
  where "tenant_id" is not null and "kind" not like 'principal.%' group by "tenant_id"
)
select
  (select json_agg(json_build_array("version", "tenant_id", "api_id", "key_id", "kind", "added_entries") order by "version") from "c") as "changes",
  (select json_agg(json_build_array("t"."id", "t"."ip_mode", "t"."enforce", "e"."id", "e"."name", "e"."type", "e"."value", "e"."expires_at") order by "t"."id", "e"."created_at", "e"."id")
    from "tenants" as "t" left join "tenant_ip_entries" as "e" on "e"."tenant_id" = "t"."id" and "e"."enabled"
    where "t"."id" = any(array(select "tenant_id" from "touched" where not "add_only"))) as "tenants",
  (select json_agg(json_build_array("e"."tenant_id", "e"."id", "e"."name", "e"."type", "e"."value", "e"."expires_at", "e"."enabled") order by "e"."created_at", "e"."id")
    from "tenant_ip_entries" as "e"
    where "e"."id" = any(array(
      select unnest(string_to_array("c"."added_entries", ',')) from "c" join "touched" using ("tenant_id")
      where "touched"."add_only" and "c"."added_entries" <> ''
    ))) as "added",
  (select json_agg(json_build_array("o"."tenant_id", "o"."address") order by "o"."tenant_id", "o"."address")
    from "observed_ips" as "o" join "tenants" as "t" on "t"."id" = "o"."tenant_id" and "t"."ip_mode" = 'auto'
    where "o"."tenant_id" = any(array(select "tenant_id" from "touched" where not "add_only"))
      and "o"."status" = 'rejected') as "rejected"`;

/**
 * The delta since `version` as `rulesSince` defines it (undefined past `maxChanges`), or
 * {@link NOT_IN_ONE_STATEMENT} when the changes touched an API or a key, or an addition is not as its
 * change said: the caller then reads them the general way.
 *
 * @example
 * const delta = await rulesSinceInOneStatement(db, 41, 1000, { additions: true });
 */
export async function rulesSinceInOneStatement(
  db: Kysely<Database>,
  version: number,
  maxChanges: number,
  options: { readonly additions?: boolean | undefined },
): Promise<RulesDelta | undefined | typeof NOT_IN_ONE_STATEMENT> {
  const withAdditions = options.additions === true;
  // A fixed text with its parameters, as Kysely would send it, without building and compiling a
  // query tree for it on every refresh. It is not a named statement: at ~1,730 characters it is
  // longer than the texts postgres-statements.ts names (MAX_PREPARED_SQL_LENGTH), so the backend
  // parses and plans it on every call.
  const answer = (
    await db.executeQuery<Answer>(CompiledQuery.raw(STATEMENT, [version, maxChanges + 1, withAdditions]))
  ).rows[0];
  const changes: ChangeRow[] = (answer?.changes ?? []).map(
    ([v, tenant_id, api_id, key_id, kind, added_entries]) => ({
      version: v,
      tenant_id,
      api_id,
      key_id,
      kind,
      added_entries,
    }),
  );
  if (changes.length > maxChanges) return undefined;
  const { top, tenantIds, apiIds, keyIds, addedTo } = changedUnits(changes, version);
  if (apiIds.size > 0 || keyIds.size > 0) return NOT_IN_ONE_STATEMENT;
  const addedRows: AddedEntryRow[] = (answer?.added ?? []).map(
    ([tenant_id, id, name, type, value, expires_at, enabled]) => ({
      tenant_id,
      id,
      name,
      type: type as AddedEntryRow['type'],
      value,
      expires_at,
      enabled,
    }),
  );
  const additions = withAdditions ? checkedAdditions(addedTo, addedRows) : new Map();
  // The statement took every add-only tenant as its additions: one the check refused is not in it.
  if (withAdditions && additions.size !== addedTo.size) return NOT_IN_ONE_STATEMENT;
  for (const id of additions.keys()) tenantIds.delete(id);
  const tenants = new Map<string, TenantRules | null>([...tenantIds].map((id) => [id, null]));
  let current: { readonly id: string; readonly entries: TenantRules['entries'][number][] } | undefined;
  for (const [tenantId, ipMode, enforce, id, name, type, value, expiresAt] of answer?.tenants ?? []) {
    if (!tenants.has(tenantId)) return NOT_IN_ONE_STATEMENT; // not a set the two sides agree on
    if (current?.id !== tenantId) {
      current = { id: tenantId, entries: [] };
      tenants.set(tenantId, {
        tenant: { id: tenantId, ipMode: ipMode as TenantRules['tenant']['ipMode'], enforce: toBool(enforce) },
        entries: current.entries,
      });
    }
    // A tenant without entries comes as one row whose entry columns are null.
    if (id === null || name === null || type === null || value === null) continue;
    current.entries.push(
      ruleEntry({ id, name, type: type as AddedEntryRow['type'], value, expires_at: expiresAt }),
    );
  }
  for (const [tenantId, address] of answer?.rejected ?? []) {
    const rules = tenants.get(tenantId);
    if (rules === undefined) return NOT_IN_ONE_STATEMENT; // not a set the two sides agree on
    if (rules === null) continue; // its tenant row is not in the answer: nothing to hold
    const list = (rules.rejected ?? []) as string[];
    // Ordered by address: the same address under two keys comes in a row.
    if (list[list.length - 1] !== address) list.push(address);
    if (rules.rejected === undefined) tenants.set(tenantId, { ...rules, rejected: list });
  }
  return {
    version: top,
    tenants,
    ...(withAdditions ? { tenantAdditions: additions } : {}),
    apis: new Map(),
    keys: new Map(),
  };
}
