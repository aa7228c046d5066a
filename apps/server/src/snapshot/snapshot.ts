import type { IpSet, KeyRestrictions, TenantRestriction } from '@ipgate/core';
import type { Api } from '../store/store.js';
import type { EntryIds } from './entry-ids.js';
import { RouteTable } from './route-table.js';
import { ShardedMap } from './sharded-map.js';

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
  /** The ids of the allowlist's entries, in the set's order (the set keeps their values). */
  readonly allowlistIds: EntryIds;
  /**
   * True when rows of a non-empty allowlist could not be compiled. The API then denies everyone at
   * stage 3: dropping the rows could leave the list empty, and an empty list lets everyone in.
   */
  readonly allowlistBroken: boolean;
  /** False: report-only; a request the allowlist denies passes as `would-deny` (pipeline.md#report-only). */
  readonly enforce: boolean;
  /** The change version the API's rules were read at. */
  readonly rulesVersion: number;
  /** Enabled entries left out because their expiry had passed when this was compiled. */
  readonly expired: number;
}

/** A tenant's compiled IP restriction. */
export interface CompiledTenant {
  readonly id: string;
  readonly restriction: TenantRestriction;
  /**
   * False: report-only; a request the tenant or key stage denies passes as `would-deny`
   * (docs/architecture/pipeline.md#report-only).
   */
  readonly enforce: boolean;
  /** The ids of the list's entries, in the set's order (the set keeps their values). */
  readonly entryIds: EntryIds;
  /** The change version the tenant's rules were read at. */
  readonly rulesVersion: number;
  /** Enabled entries left out because their expiry had passed when this was compiled. */
  readonly expired: number;
  /**
   * Addresses a person rejected (canonical text), for a tenant in `auto`; one shared empty set for
   * every other tenant. `auto` holds them without assessing them (review/auto-review.ts).
   */
  readonly rejected: ReadonlySet<string>;
}

/** An active key with its compiled restrictions. */
export interface CompiledKey {
  readonly id: string;
  readonly tenantId: string;
  /** SHA-256 (hex, lower case) of the secret: what {@link Snapshot.keysByHash} finds it by. */
  readonly secretHash: string;
  /** The ids of the IP list's entries, in the set's order. */
  readonly ipIds: EntryIds;
  readonly restrictions: KeyRestrictions;
}

/**
 * Everything the request path decides with. Immutable: a change builds a new one that shares every
 * unit it did not touch, and replaces the old in one assignment, so a request that read it once
 * never sees half a change. Built and changed by {@link CompiledRules}.
 */
export interface Snapshot {
  /** The change version of the store the snapshot reflects: every change up to it. */
  readonly version: number;
  /** When this snapshot was made (a change applied, or an entry expired). */
  readonly builtAt: Date;
  readonly routes: RouteTable<CompiledApi>;
  readonly apis: ShardedMap<CompiledApi>;
  readonly tenants: ShardedMap<CompiledTenant>;
  /** Active keys by the SHA-256 hex of their secret: one hash and one probe per request. */
  readonly keysByHash: ShardedMap<CompiledKey>;
  readonly keysById: ShardedMap<CompiledKey>;
}

/**
 * An empty snapshot at version 0: no routes, no keys. What a node serves before it has read the store.
 *
 * @example
 * emptySnapshot().routes.find('any', '/'); // undefined
 */
export function emptySnapshot(): Snapshot {
  return Object.freeze({
    version: 0,
    builtAt: new Date(0),
    routes: RouteTable.from<CompiledApi>([]),
    apis: ShardedMap.empty<CompiledApi>(),
    tenants: ShardedMap.empty<CompiledTenant>(),
    keysByHash: ShardedMap.empty<CompiledKey>(),
    keysById: ShardedMap.empty<CompiledKey>(),
  });
}
