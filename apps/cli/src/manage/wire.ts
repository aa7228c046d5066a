/**
 * The parts of the management API's answers that the commands read and print. The OpenAPI document
 * (`/openapi.json`) describes them whole; `--json` prints them as the server sent them.
 */
import type { RestrictionMode } from '@ipgate/core';

/** A warning core attached to an accepted entry. */
export interface Warning {
  readonly code: string;
  readonly message: string;
}

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly ipMode: RestrictionMode;
  readonly ipEntryLimit: number;
  readonly keyIpLimit: number;
  readonly keyDomainLimit: number;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** What the mode means today (`auto` behaves as `manual`). */
  readonly warnings?: readonly Warning[];
}

export interface Api {
  readonly id: string;
  readonly name: string;
  readonly host: string | null;
  readonly pathPrefix: string;
  readonly stripPrefix: boolean;
  readonly upstreamUrl: string;
  readonly authHeader: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Key {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly prefix: string;
  readonly status: 'active' | 'revoked';
  readonly ipRestrictionEnabled: boolean;
  readonly domainRestrictionEnabled: boolean;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly rotatedAt: string | null;
  readonly revokedAt: string | null;
}

/** A key with its secret: only in the answers to create, rotate and reject with a rotation. */
export interface KeyWithSecret extends Key {
  readonly secret: string;
}

/** An entry of a tenant's IP list, an API's allowlist, or a key's IP or domain rules. */
export interface Entry {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly canonical: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Tenant and API lists only. */
  readonly enabled?: boolean;
  readonly expiresAt?: string | null;
  readonly source?: string;
  readonly reason?: string | null;
  /** Key IP rules: ip or range; domain rules have none. */
  readonly type?: string;
  /** Answers to add and edit. */
  readonly warnings?: readonly Warning[];
}

export interface ObservedIp {
  readonly id: string;
  readonly tenantId: string;
  readonly keyId: string;
  readonly address: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
  readonly status: 'authorized' | 'pending' | 'rejected';
  readonly reasons: readonly string[];
  readonly version: number;
}

/** One entry a logged request matched; `name` null when it has none, is gone, or is not shown. */
export interface MatchedEntry {
  readonly list: 'api-allowlist' | 'tenant' | 'key-ips' | 'key-domains';
  readonly entryId: string;
  readonly name: string | null;
}

/** A request of the request log. */
export interface LoggedRequest {
  readonly requestId: string;
  readonly at: string;
  readonly tenantId: string | null;
  readonly apiId: string | null;
  readonly keyId: string | null;
  readonly client: string | null;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly decision: 'allow' | 'deny' | 'would-deny';
  readonly stage: string | null;
  readonly reason: string | null;
  readonly latencyMs: number;
  readonly origin: string | null;
  readonly matched: readonly MatchedEntry[];
}

export interface CheckResult {
  readonly allow: boolean;
  readonly status: number;
  readonly stage: string;
  readonly reason: string;
  readonly reasonText: string;
  readonly matched: readonly {
    readonly stage: string;
    readonly list: string;
    readonly index: number;
    readonly name: string | null;
    readonly id: string | null;
    readonly value: string;
  }[];
  readonly reviewable: boolean;
  readonly detail?: string;
  readonly address: string;
  readonly tenantId: string | null;
  readonly keyId: string | null;
  readonly apiId: string | null;
  readonly snapshotVersion: number;
}
