/**
 * Compiles one unit of rules — a tenant with its IP list, an API with its allowlist and route, a key
 * with its restrictions — on its own, so that a change recompiles just the units it touched.
 */
import { DomainSet, IpAddress, IpSet, type NamedDomainRule } from '@ipgate/core';
import type { ApiRules, IpMode, KeyRules, RuleDomain, RuleEntry, TenantRules } from '../store/store.js';
import { EntryIds } from './entry-ids.js';
import type { CompiledApi, CompiledKey, CompiledTenant } from './snapshot.js';

/** A compiled unit, with what the node must know about it beyond the request path. */
export interface UnitCompile<T> {
  readonly compiled: T;
  /** The earliest expiry still ahead of `now` (ms), when the unit must be compiled again; else null. */
  readonly nextExpiry: number | null;
  /** Rows that could not be compiled (the store validates on write, so: never), for the log. */
  readonly problems: readonly string[];
}

/**
 * Compiles a tenant's IP list as of `now`: entries whose expiry has passed are left out (and counted).
 *
 * @example
 * compileTenant({ tenant: { id: 'ten_1', ipMode: 'manual' }, entries }, 7, Date.now()).compiled.restriction.list.has('203.0.113.7');
 */
export function compileTenant(rules: TenantRules, version: number, now: number): UnitCompile<CompiledTenant> {
  const problems: string[] = [];
  const live = liveEntries(rules.entries, now);
  const { set, ids } = compileIps(live.entries, `tenant ${rules.tenant.id}`, problems);
  return {
    compiled: Object.freeze({
      id: rules.tenant.id,
      restriction: Object.freeze({ mode: sharedMode(rules.tenant.ipMode), list: set }),
      enforce: rules.tenant.enforce !== false,
      entryIds: ids,
      rulesVersion: version,
      expired: live.expired,
      rejected: rejectedSet(rules.rejected),
    }),
    nextExpiry: live.nextExpiry,
    problems,
  };
}

/** Shared by every tenant without rejected addresses: a field on each, no set each. */
const NO_REJECTED: ReadonlySet<string> = new Set();

/**
 * The rejected addresses as the request path compares them (`IpAddress.toString()`, IPv4 unmapped, so
 * that `1.2.3.4` and `::ffff:1.2.3.4` are one address, as the lists match them): the store keeps them
 * canonical already (observedAddress); one that does not parse cannot match a client and is left out.
 */
function rejectedSet(addresses: readonly string[] | undefined): ReadonlySet<string> {
  if (addresses === undefined || addresses.length === 0) return NO_REJECTED;
  const out = new Set<string>();
  for (const a of addresses) {
    const parsed = IpAddress.tryParse(a);
    if (parsed !== undefined) out.add((parsed.isIPv4Mapped ? parsed.unmap() : parsed).toString());
  }
  return out.size === 0 ? NO_REJECTED : out;
}

/**
 * The tenant `before` (compiled as of an earlier version) with entries appended to its list, as
 * {@link compileTenant} would compile the whole list with them at its end — without the list's
 * rows: the set is extended (below), and the ids are appended as they are packed. The caller vouches that adding these entries is all that changed since, and that none of
 * them has an expiry (an expiry must be scheduled with the list's rows, which are not here).
 *
 * The set: addresses an `auto` batch adds are single addresses the list did not cover (it adds
 * none it covers), which `IpSet.withAddresses` keeps in a small set beside the list's tables, folded
 * in every ~1,000 — a merge into the tables would have to resolve the most specific entry again
 * wherever new entries overlap old ones, and a rebuild of the whole list costs its parse (~28 ms at
 * 20,000 IPv6 entries, a loaded machine). Anything else (a range, an address covered already) builds
 * the whole list from the values the set keeps: no store read (about as costly again), no repacking
 * of the ids (~4 ms), the very code a full compile runs (bench/README.md#auto-review).
 *
 * @example
 * extendTenant(snapshot.tenants.get('ten_1'), [{ id: 'ent_9', name: 'x', type: 'ip', value: '198.51.100.9', expiresAt: null }], 8);
 */
export function extendTenant(
  before: CompiledTenant,
  added: readonly RuleEntry[],
  version: number,
): UnitCompile<CompiledTenant> {
  for (const e of added) {
    if (e.expiresAt !== null) throw new Error(`entry ${e.id} has an expiry: compile the tenant's whole list`);
  }
  const problems: string[] = [];
  let list = before.restriction.list;
  let ids = before.entryIds;
  if (added.length > 0) {
    const fresh = compileIps(added, `tenant ${before.id}`, problems);
    if (fresh.set.size > 0) {
      const values = valuesOf(fresh.set);
      // Every value compiled already, each on its own: together they compile too.
      list = list.withAddresses(values) ?? IpSet.from([...valuesOf(list), ...values]);
      ids = ids.with(fresh.ids.all());
    }
  }
  return {
    compiled: Object.freeze({
      id: before.id,
      restriction:
        before.restriction.list === list
          ? before.restriction
          : Object.freeze({ mode: before.restriction.mode, list }),
      enforce: before.enforce,
      entryIds: ids,
      rulesVersion: version,
      expired: before.expired,
      // Add-only changes come from `auto` batches, which reject nothing: a rejection (or its undoing)
      // is a change of another kind, and compiles the tenant whole.
      rejected: before.rejected,
    }),
    nextExpiry: null,
    problems,
  };
}

function valuesOf(set: IpSet): string[] {
  const out: string[] = new Array(set.size);
  for (let i = 0; i < out.length; i++) out[i] = set.sourceAt(i).value;
  return out;
}

/**
 * Compiles an API: its route, its upstream and its allowlist as of `now`. An allowlist with a row
 * that does not compile denies everyone (see {@link CompiledApi.allowlistBroken}).
 *
 * @example
 * compileApi({ api, entries: [] }, 7, Date.now()).compiled.allowlist.isEmpty; // true: everyone passes
 */
export function compileApi(rules: ApiRules, version: number, now: number): UnitCompile<CompiledApi> {
  const problems: string[] = [];
  const a = rules.api;
  const live = liveEntries(rules.entries, now);
  const { set, ids, failed } = compileIps(live.entries, `api ${a.id}`, problems);
  const upstream = parseUpstream(a.upstreamUrl);
  if (upstream === undefined) problems.push(`api ${a.id}: upstream URL ${JSON.stringify(a.upstreamUrl)}`);
  return {
    compiled: Object.freeze({
      id: a.id,
      name: a.name,
      host: a.host,
      pathPrefix: a.pathPrefix,
      stripPrefix: a.stripPrefix,
      authHeader: a.authHeader,
      upstream,
      allowlist: set,
      allowlistIds: ids,
      allowlistBroken: failed > 0,
      enforce: a.enforce !== false,
      rulesVersion: version,
      expired: live.expired,
    }),
    nextExpiry: live.nextExpiry,
    problems,
  };
}

/**
 * Compiles an active key's restrictions. Its entries never expire.
 *
 * @example
 * compileKey({ key, ipEntries, domains }).compiled.restrictions.ips.enabled;
 */
export function compileKey(rules: KeyRules): UnitCompile<CompiledKey> {
  const problems: string[] = [];
  const k = rules.key;
  // A list whose restriction is off is never read (decide() denies that kind of request first).
  const ips = k.ipRestrictionEnabled ? compileIps(rules.ipEntries, `key ${k.id}`, problems) : NO_IPS;
  const domains = k.domainRestrictionEnabled
    ? compileDomains(rules.domains, `key ${k.id}`, problems)
    : EMPTY_DOMAINS;
  return {
    compiled: Object.freeze({
      id: k.id,
      tenantId: k.tenantId,
      secretHash: k.secretHash.toLowerCase(),
      ipIds: ips.ids,
      restrictions: Object.freeze({
        ips: Object.freeze({ enabled: k.ipRestrictionEnabled, list: ips.set }),
        domains: Object.freeze({ enabled: k.domainRestrictionEnabled, list: domains }),
      }),
    }),
    nextExpiry: null,
    problems,
  };
}

function liveEntries(
  entries: readonly RuleEntry[],
  now: number,
): { entries: RuleEntry[]; expired: number; nextExpiry: number | null } {
  const live: RuleEntry[] = [];
  let expired = 0;
  let nextExpiry: number | null = null;
  for (const e of entries) {
    if (e.expiresAt === null) {
      live.push(e);
      continue;
    }
    const at = e.expiresAt.getTime();
    if (at <= now) {
      expired++;
      continue;
    }
    if (nextExpiry === null || at < nextExpiry) nextExpiry = at;
    live.push(e);
  }
  return { entries: live, expired, nextExpiry };
}

/**
 * The mode as one of three shared strings: the store gives each tenant's its own copy, and 100,000
 * copies of "manual" are 2 MB a node need not hold.
 */
function sharedMode(mode: IpMode): IpMode {
  return mode === 'manual' ? 'manual' : mode === 'auto' ? 'auto' : mode === 'off' ? 'off' : mode;
}

const NO_IPS = { set: IpSet.empty, ids: EntryIds.none, failed: 0 };

/**
 * A list's entries compiled from their values, with their ids beside the set in list order: the set
 * keeps the values (to explain a match as written), the ids go in one joined string (EntryIds).
 */
function compileIps(
  rows: readonly RuleEntry[],
  owner: string,
  problems: string[],
): { set: IpSet; ids: EntryIds; failed: number } {
  if (rows.length === 0) return NO_IPS;
  try {
    return { set: IpSet.from(rows.map((r) => r.value)), ids: EntryIds.of(rows.map((r) => r.id)), failed: 0 };
  } catch {
    // Slow path, only for a bad row: find each one, keep the rest.
    const good: RuleEntry[] = [];
    for (const row of rows) {
      try {
        IpSet.from([row.value]);
        good.push(row);
      } catch (e) {
        problems.push(`${owner}: entry ${row.id} ${JSON.stringify(row.value)}: ${(e as Error).message}`);
      }
    }
    return {
      set: IpSet.from(good.map((r) => r.value)),
      ids: EntryIds.of(good.map((r) => r.id)),
      failed: rows.length - good.length,
    };
  }
}

function compileDomains(rows: readonly RuleDomain[], owner: string, problems: string[]): DomainSet {
  if (rows.length === 0) return EMPTY_DOMAINS;
  // Ids without names: a name is read from the store when a match is explained (admin/lists/entry-names.ts).
  const rules = rows.map((r): NamedDomainRule => ({ value: r.value, id: r.id }));
  try {
    return DomainSet.from(rules);
  } catch {
    // Slow path, only for a bad row: find each one, keep the rest.
    const good: NamedDomainRule[] = [];
    for (const rule of rules) {
      try {
        DomainSet.from([rule]);
        good.push(rule);
      } catch (e) {
        problems.push(`${owner}: domain ${rule.id} ${JSON.stringify(rule.value)}: ${(e as Error).message}`);
      }
    }
    return DomainSet.from(good);
  }
}

const EMPTY_DOMAINS = DomainSet.from([]);

function parseUpstream(text: string): URL | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username !== '' || url.password !== '') return undefined;
    return url;
  } catch {
    return undefined;
  }
}
