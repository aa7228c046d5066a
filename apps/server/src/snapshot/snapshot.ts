import {
  DomainSet,
  type EntryInput,
  IpSet,
  type KeyRestrictions,
  type NamedDomainRule,
  type TenantRestriction,
} from '@ipgate/core';
import type { Api, IpListEntry, RulesDump } from '../store/store.js';
import { RouteTable } from './route-table.js';

/** An API as the request path uses it. */
export interface CompiledApi {
  readonly id: string;
  readonly name: string;
  readonly host: string | null;
  readonly pathPrefix: string;
  readonly stripPrefix: boolean;
  readonly authHeader: Api['authHeader'];
  /** Undefined when the stored URL is not an absolute http(s) URL: requests get 502, never a guess. */
  readonly upstream: URL | undefined;
  /**
   * Enabled, unexpired entries only. Empty: everyone passes
   * (docs/architecture/pipeline.md#3-api-network-allowlist).
   */
  readonly allowlist: IpSet;
  /**
   * True when rows of a non-empty allowlist could not be compiled. The API then denies everyone at
   * stage 3: dropping the rows could leave the list empty, and an empty list lets everyone in.
   */
  readonly allowlistBroken: boolean;
}

/** A tenant's compiled IP restriction. */
export interface CompiledTenant {
  readonly id: string;
  readonly restriction: TenantRestriction;
}

/** An active key with its compiled restrictions. */
export interface CompiledKey {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly restrictions: KeyRestrictions;
}

/**
 * Everything the request path decides with, compiled from one {@link RulesDump}. Immutable: a change
 * builds a new one, which replaces the old in one assignment, so a request never sees half a change.
 */
export interface Snapshot {
  /** The change version of the dump it was built from. */
  readonly version: number;
  /** The time entries' expiry was judged against. */
  readonly builtAt: Date;
  /** The earliest expiry still ahead of `builtAt`: rebuild then, from the same dump if need be. */
  readonly nextExpiry: Date | null;
  readonly routes: RouteTable<CompiledApi>;
  readonly apis: ReadonlyMap<string, CompiledApi>;
  readonly tenants: ReadonlyMap<string, CompiledTenant>;
  /** Active keys by the SHA-256 hex of their secret: one hash and one probe per request. */
  readonly keysByHash: ReadonlyMap<string, CompiledKey>;
  readonly keysById: ReadonlyMap<string, CompiledKey>;
  /** Rows that could not be compiled (should never happen: the store validates on write), for logs. */
  readonly problems: readonly string[];
}

/**
 * Compiles a rules dump. Disabled entries and entries expired at `now` are left out; a row that does
 * not compile is left out and reported in `problems` (an API allowlist with such a row denies everyone,
 * see {@link CompiledApi.allowlistBroken}); a key whose tenant is missing is left out (its requests get 401).
 *
 * @example
 * const snapshot = compileSnapshot(await store.dumpRules());
 * snapshot.routes.find('api.example.com', '/v1/users')?.id; // 'api_…'
 * snapshot.keysByHash.get(hashSecret(secret))?.tenantId; // 'ten_…'
 */
export function compileSnapshot(dump: RulesDump, options: { readonly now?: Date } = {}): Snapshot {
  const now = options.now ?? new Date();
  const problems: string[] = [];
  let nextExpiry: number | null = null;

  const live = (e: IpListEntry): boolean => {
    if (!e.enabled) return false;
    if (e.expiresAt === null) return true;
    const at = e.expiresAt.getTime();
    if (at <= now.getTime()) return false;
    if (nextExpiry === null || at < nextExpiry) nextExpiry = at;
    return true;
  };

  const tenantEntries = groupBy(dump.tenantIpEntries, (e) => e.tenantId);
  const tenants = new Map<string, CompiledTenant>();
  for (const t of dump.tenants) {
    const rows = (tenantEntries.get(t.id) ?? []).filter(live);
    const { set } = compileIps(rows, `tenant ${t.id}`, problems);
    tenants.set(t.id, Object.freeze({ id: t.id, restriction: Object.freeze({ mode: t.ipMode, list: set }) }));
  }

  const apiEntries = groupBy(dump.apiAllowlistEntries, (e) => e.apiId);
  const apis = new Map<string, CompiledApi>();
  for (const a of dump.apis) {
    const rows = (apiEntries.get(a.id) ?? []).filter(live);
    const { set, failed } = compileIps(rows, `api ${a.id}`, problems);
    const upstream = parseUpstream(a.upstreamUrl);
    if (upstream === undefined) problems.push(`api ${a.id}: upstream URL ${JSON.stringify(a.upstreamUrl)}`);
    apis.set(
      a.id,
      Object.freeze({
        id: a.id,
        name: a.name,
        host: a.host,
        pathPrefix: a.pathPrefix,
        stripPrefix: a.stripPrefix,
        authHeader: a.authHeader,
        upstream,
        allowlist: set,
        allowlistBroken: failed > 0,
      }),
    );
  }

  const keyIps = groupBy(dump.keyIpEntries, (e) => e.keyId);
  const keyDomains = groupBy(dump.keyDomainEntries, (e) => e.keyId);
  const keysByHash = new Map<string, CompiledKey>();
  const keysById = new Map<string, CompiledKey>();
  for (const k of dump.keys) {
    if (k.status !== 'active') continue;
    if (!tenants.has(k.tenantId)) {
      problems.push(`key ${k.id}: tenant ${k.tenantId} is missing`);
      continue;
    }
    const ips = compileIps(keyIps.get(k.id) ?? [], `key ${k.id}`, problems).set;
    const domains = compileDomains(keyDomains.get(k.id) ?? [], `key ${k.id}`, problems);
    const compiled: CompiledKey = Object.freeze({
      id: k.id,
      tenantId: k.tenantId,
      name: k.name,
      restrictions: Object.freeze({
        ips: Object.freeze({ enabled: k.ipRestrictionEnabled, list: ips }),
        domains: Object.freeze({ enabled: k.domainRestrictionEnabled, list: domains }),
      }),
    });
    keysByHash.set(k.secretHash.toLowerCase(), compiled);
    keysById.set(k.id, compiled);
  }

  return Object.freeze({
    version: dump.version,
    builtAt: now,
    nextExpiry: nextExpiry === null ? null : new Date(nextExpiry),
    routes: RouteTable.from(apis.values()),
    apis,
    tenants,
    keysByHash,
    keysById,
    problems: Object.freeze(problems),
  });
}

/**
 * An empty snapshot at version 0: no routes, no keys. What a node serves before it has read the store.
 *
 * @example
 * emptySnapshot().routes.find('any', '/'); // undefined
 */
export function emptySnapshot(): Snapshot {
  return compileSnapshot({
    version: 0,
    tenants: [],
    tenantIpEntries: [],
    apis: [],
    apiAllowlistEntries: [],
    keys: [],
    keyIpEntries: [],
    keyDomainEntries: [],
  });
}

interface IpRow {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly type: EntryInput['type'];
}

function compileIps(
  rows: readonly IpRow[],
  owner: string,
  problems: string[],
): { set: IpSet; failed: number } {
  const inputs = rows.map((r) => entryInput(r));
  try {
    return { set: IpSet.from(inputs), failed: 0 };
  } catch {
    // Slow path, only for a bad row: find each one, keep the rest.
    const good: EntryInput[] = [];
    for (const input of inputs) {
      try {
        IpSet.from([input]);
        good.push(input);
      } catch (e) {
        problems.push(`${owner}: entry ${input.id} ${JSON.stringify(input.value)}: ${(e as Error).message}`);
      }
    }
    return { set: IpSet.from(good), failed: inputs.length - good.length };
  }
}

function compileDomains(
  rows: readonly { id: string; name: string; value: string }[],
  owner: string,
  problems: string[],
): DomainSet {
  const good: NamedDomainRule[] = [];
  for (const r of rows) {
    const rule: NamedDomainRule = { value: r.value, id: r.id, name: r.name === '' ? undefined : r.name };
    try {
      DomainSet.from([rule]);
      good.push(rule);
    } catch (e) {
      problems.push(`${owner}: domain ${r.id} ${JSON.stringify(r.value)}: ${(e as Error).message}`);
    }
  }
  return DomainSet.from(good);
}

function entryInput(r: IpRow): EntryInput & { readonly id: string } {
  return { value: r.value, id: r.id, name: r.name === '' ? undefined : r.name, type: r.type };
}

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

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = map.get(k);
    if (group === undefined) map.set(k, [item]);
    else group.push(item);
  }
  return map;
}
