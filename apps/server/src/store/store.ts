/**
 * The one storage interface of the server (docs/architecture/storage.md). The snapshot builder, the
 * management API and the tests speak it; SQLite and PostgreSQL implement it through one Kysely
 * implementation.
 *
 * Conventions every operation keeps:
 * - A tenant-scoped operation takes the tenant id and never reads or writes another tenant's rows;
 *   a resource that is missing or someone else's is `IPG_NOT_FOUND` either way.
 * - A mutation is one transaction: version check, limit check, write (version + 1), one audit event,
 *   one `changes` row. It returns the entity as written. When it fails, nothing of it is written.
 * - Bad input is an `IpGateError` with status 400 and `field` set.
 */

import type { EntryType, RuleList } from '@ipgate/core';
import type { Assessment } from '../review/assessment.js';
import type { ConsoleSession } from './console-sessions.js';
import type { AuditFilter } from './history.js';
import type { NotificationPruneCounts } from './notification-retention.js';
import type { NotificationStore } from './notification-types.js';
import type { CreateUserInput } from './users.js';
import type { AuthHeader, EntrySource, IpMode, Role } from './vocabulary.js';

export type { Assessment } from '../review/assessment.js';

export type { AuthHeader, EntrySource, IpMode, Role } from './vocabulary.js';

/** Who makes a change, and (for updates and removals) the version the caller last read. */
export interface MutationOptions {
  /** Recorded in the audit event, e.g. `token:tok_123` or `user:alice@example.com`. */
  readonly actor: string;
  /** When given, the change applies only if the entity is still at this version (else IPG_VERSION_CONFLICT). */
  readonly expectedVersion?: number | undefined;
}

/** Who creates a resource. Creation has no prior version to check. */
export interface CreateOptions {
  readonly actor: string;
}

/** One page of a list, oldest first unless the operation says otherwise. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly nextCursor: string | undefined;
}

/** Which page to read. */
export interface PageRequest {
  /** 1–500; default 50. */
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly ipMode: IpMode;
  /** Most entries the tenant's IP list may hold. */
  readonly ipEntryLimit: number;
  /** Most IP entries per key. */
  readonly keyIpLimit: number;
  /** Most domain entries per key. */
  readonly keyDomainLimit: number;
  /**
   * False: report-only. The tenant and key stages still decide, but a request they deny passes and
   * is recorded as `would-deny` (docs/architecture/pipeline.md#report-only).
   */
  readonly enforce: boolean;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface CreateTenantInput {
  readonly name: string;
  /** Default `manual`: access is blocked until addresses are listed. */
  readonly ipMode?: IpMode | undefined;
  /** Default 100. */
  readonly ipEntryLimit?: number | undefined;
  /** Default 5. */
  readonly keyIpLimit?: number | undefined;
  /** Default 5. */
  readonly keyDomainLimit?: number | undefined;
  /** Default true; false: report-only. */
  readonly enforce?: boolean | undefined;
}

export type UpdateTenantInput = Partial<CreateTenantInput>;

/** An entry of a network list that carries state and provenance (tenant IP list, API allowlist). */
export interface IpListEntry {
  readonly id: string;
  readonly name: string;
  readonly type: EntryType;
  /** As the user wrote it. */
  readonly value: string;
  /** As core's `parseEntry` spells it; unique within its list. */
  readonly canonical: string;
  readonly enabled: boolean;
  readonly expiresAt: Date | null;
  readonly source: EntrySource;
  readonly reason: string | null;
  readonly createdBy: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Requests an entry let through its stage, as one node counted them since its last flush. */
export interface EntryHits {
  readonly entryId: string;
  readonly hits: number;
  readonly lastMatchedAt: Date;
}

/** The stored usage of an entry: every node's hits added up, and the latest match any of them saw. */
export interface EntryUsage {
  readonly hits: number;
  readonly lastMatchedAt: Date;
}

export interface TenantIpEntry extends IpListEntry {
  readonly tenantId: string;
}

export interface ApiAllowlistEntry extends IpListEntry {
  readonly apiId: string;
}

export interface AddIpEntryInput {
  readonly value: string;
  /** Default ''. */
  readonly name?: string | undefined;
  /** Default true. */
  readonly enabled?: boolean | undefined;
  readonly expiresAt?: Date | null | undefined;
  /** Default `manual`. */
  readonly source?: EntrySource | undefined;
  readonly reason?: string | null | undefined;
}

/**
 * Many entries for one list at once (docs/architecture/management.md#importing-a-list): a property
 * left undefined is one the file does not give — a matched entry keeps it, a new one gets the default.
 */
export interface ImportEntriesInput {
  /** `merge` keeps entries no row names; `replace` removes them. */
  readonly mode: 'merge' | 'replace';
  /** At most 1,000; no two with one canonical form. */
  readonly rows: readonly {
    readonly value: string;
    readonly name?: string | undefined;
    readonly enabled?: boolean | undefined;
    readonly expiresAt?: Date | null | undefined;
    /** The row's line in the file, for messages; default its position. */
    readonly line?: number | undefined;
  }[];
}

/** What an import wrote. */
export interface ImportEntriesResult<E> {
  readonly mode: 'merge' | 'replace';
  readonly added: readonly E[];
  readonly updatedEntries: readonly E[];
  /** As they were before the import. */
  readonly removedEntries: readonly E[];
  readonly updated: number;
  readonly removed: number;
  readonly unchanged: number;
  /** Entries the list holds afterwards. */
  readonly count: number;
  /** The change the import is; null when it changed nothing (nothing is written then). */
  readonly changeVersion: number | null;
  /** The list's basis afterwards (see `listBasis`). */
  readonly basis: string;
}

/** Who imports, and the basis the file was prepared against (IPG_VERSION_CONFLICT when the list moved on). */
export interface ImportOptions {
  readonly actor: string;
  readonly expectedBasis?: string | undefined;
}

export interface UpdateIpEntryInput {
  readonly name?: string | undefined;
  readonly value?: string | undefined;
  readonly enabled?: boolean | undefined;
  readonly expiresAt?: Date | null | undefined;
}

export interface Api {
  readonly id: string;
  readonly name: string;
  /** Null: any host. */
  readonly host: string | null;
  /** Starts with `/`; `/` matches every path. */
  readonly pathPrefix: string;
  readonly stripPrefix: boolean;
  readonly upstreamUrl: string;
  readonly authHeader: AuthHeader;
  /** False: the allowlist is report-only: a request it denies passes, recorded as `would-deny`. */
  readonly enforce: boolean;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface CreateApiInput {
  readonly name: string;
  readonly host?: string | null | undefined;
  /** Default `/`. */
  readonly pathPrefix?: string | undefined;
  /** Default false. */
  readonly stripPrefix?: boolean | undefined;
  readonly upstreamUrl: string;
  /** Default `authorization`. */
  readonly authHeader?: AuthHeader | undefined;
  /** Default true; false: report-only. */
  readonly enforce?: boolean | undefined;
}

export type UpdateApiInput = Partial<CreateApiInput>;

/** An API key as stored: never the secret, never its hash. */
export interface ApiKey {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  /** The first characters of the secret, for people to recognise a key (`ipg_live_AbCd`). */
  readonly prefix: string;
  readonly status: 'active' | 'revoked';
  readonly ipRestrictionEnabled: boolean;
  readonly domainRestrictionEnabled: boolean;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly rotatedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** A key together with its secret: returned by create and rotate, and never again. */
export interface KeyWithSecret {
  readonly key: ApiKey;
  readonly secret: string;
}

export interface CreateKeyInput {
  readonly name: string;
  /** Default false. */
  readonly ipRestrictionEnabled?: boolean | undefined;
  /** Default false. */
  readonly domainRestrictionEnabled?: boolean | undefined;
}

export type UpdateKeyInput = Partial<CreateKeyInput>;

export interface KeyIpEntry {
  readonly id: string;
  readonly keyId: string;
  readonly name: string;
  readonly type: EntryType;
  readonly value: string;
  readonly canonical: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface KeyDomainEntry {
  readonly id: string;
  readonly keyId: string;
  readonly name: string;
  readonly value: string;
  /** As core's `parseDomainRule` spells it; unique per key. */
  readonly canonical: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface AddKeyEntryInput {
  readonly value: string;
  readonly name?: string | undefined;
}

export interface UpdateKeyEntryInput {
  readonly value?: string | undefined;
  readonly name?: string | undefined;
}

export interface AuditEvent {
  readonly id: string;
  /** The change this event describes (see {@link Change}). */
  readonly changeVersion: number;
  readonly at: Date;
  readonly actor: string;
  readonly tenantId: string | null;
  /** `<resource>.<verb>`, e.g. `tenant.ip_entry.added`. */
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  /** The entity before the change; null for creations. */
  readonly before: unknown;
  /** The entity after the change; null for deletions. */
  readonly after: unknown;
}

/**
 * What {@link Store.watchChanges} calls: `listen` resolves (never rejects) once the watch listens
 * again; a change committed after that is announced, one committed before is for the read to see.
 * It resolves within about a second even when the watch's connection hangs (polling then covers).
 */
export type ChangeListener = (listen: () => Promise<void>) => void;

/** A subscription of {@link Store.watchChanges}. */
export interface ChangeWatch {
  close(): Promise<void>;
}

/** One committed change; nodes follow these to rebuild their snapshots. */
export interface Change {
  /** Increases with every change, in commit order. */
  readonly version: number;
  readonly at: Date;
  readonly tenantId: string | null;
  readonly apiId: string | null;
  readonly keyId: string | null;
  /** The audit action of the change, e.g. `key.revoked`. */
  readonly kind: string;
}

/** What review says about an address that presented a tenant's key (docs/architecture/review.md). */
export type ObservedStatus = 'authorized' | 'pending' | 'rejected';

/** Every address that presented a tenant's key: one row per (tenant, key, address). */
/** What rejecting an observed address did. */
export interface RejectedObservedIp {
  readonly observed: ObservedIp;
  readonly rotated: KeyWithSecret | null;
  /** Entries that authorizing this address had added (source `review` or `auto`), now removed. */
  readonly removedEntries: readonly TenantIpEntry[];
  /** True when other enabled, unexpired entries of the tenant's list still cover the address. */
  readonly stillListed: boolean;
}

export interface ObservedIp {
  /** Stable id of the (key, address) pair, for the `authorize` / `reject` actions. */
  readonly id: string;
  readonly tenantId: string;
  readonly keyId: string;
  /** Canonical address (core's `IpAddress#toString`). */
  readonly address: string;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly count: number;
  readonly status: ObservedStatus;
  /** Why the address has its status, newest last (e.g. `listed: office`, `authorized by user:ops`). */
  readonly reasons: readonly string[];
  /**
   * The latest assessment of the address (docs/architecture/review.md#the-assessment): score,
   * verdict, factors with weights and evidence, the network data's date. Null when never assessed.
   */
  readonly assessment: Assessment | null;
  readonly version: number;
}

/** Calls from one address with one key, aggregated in memory by the gateway and written in a batch. */
export interface Observation {
  readonly tenantId: string;
  readonly keyId: string;
  readonly address: string;
  /** Earliest and latest call in the batch. */
  readonly firstAt: Date;
  readonly lastAt: Date;
  readonly count: number;
  /**
   * What the request path saw: `authorized` when the tenant list let the address through (or mode
   * `off`), `pending` when it was denied as not listed. A stored `rejected` status is never
   * overwritten by an observation; a stored `authorized` is not downgraded to `pending` by one.
   */
  readonly status: 'authorized' | 'pending';
  /** Added to `reasons` when the row is created. */
  readonly reason?: string | undefined;
  /** The assessment made on the request path, if any; replaces the stored one. */
  readonly assessment?: Assessment | undefined;
}

/** What {@link Store.autoAuthorizeAddress} writes. */
export interface AutoAuthorizeInput {
  readonly tenantId: string;
  readonly keyId: string;
  readonly address: string;
  readonly assessment: Assessment;
  /** When the request that revealed the address was decided. */
  readonly at: Date;
  /**
   * The `key-burst` rule, checked again in the store against every node's new addresses on the key;
   * without it only a burst already held (see {@link Store.holdKeyBurst}) refuses the write.
   */
  readonly burst?: BurstRule | undefined;
}

/** How many new addresses on one key within how long make a burst (`burstLimit`, an hour). */
export interface BurstRule {
  readonly limit: number;
  readonly windowMs: number;
}

/** What {@link Store.autoAuthorizeAddresses} writes: trusted addresses of one tenant, any of its keys. */
export interface AutoAuthorizeBatchInput {
  readonly tenantId: string;
  readonly addresses: readonly {
    readonly keyId: string;
    readonly address: string;
    readonly assessment: Assessment;
    /** When the request that revealed the address was decided. */
    readonly at: Date;
  }[];
  /** As {@link AutoAuthorizeInput.burst}, for every address of the batch. */
  readonly burst?: BurstRule | undefined;
}

/** What {@link Store.autoAuthorizeAddress} did (for each address of a batch). */
export type AutoAuthorizeResult =
  | { readonly outcome: 'authorized'; readonly observed: ObservedIp; readonly entry: TenantIpEntry | null }
  | { readonly outcome: 'not-auto' | 'rejected' | 'key-gone' }
  /** The list holds its limit: nothing written for the address, which stays pending. */
  | { readonly outcome: 'limit-reached'; readonly limit: number }
  /** A disabled or expired entry of the same value exists (a person's to enable): nothing written. */
  | { readonly outcome: 'entry-exists'; readonly entryId: string }
  | {
      /** The key is in a burst (seen now, or held already): nothing was listed, and all were held. */
      readonly outcome: 'burst';
      /** The key's new addresses within the window, on every node. */
      readonly newAddresses: number;
      /** The addresses of the key the `auto` mode had listed within the window and are held now. */
      readonly held: readonly ObservedIp[];
    };

/** What {@link Store.holdKeyBurst} holds: the key, and the assessment that saw the burst. */
export interface HoldKeyBurstInput {
  readonly tenantId: string;
  readonly keyId: string;
  /** How many new addresses the node saw on the key within the window. */
  readonly newAddresses: number;
  readonly at: Date;
  readonly burst: BurstRule;
}

/** What {@link Store.holdKeyBurst} did. */
export interface HoldKeyBurstResult {
  /** The larger of the node's count and the store's. */
  readonly newAddresses: number;
  readonly held: readonly ObservedIp[];
}

export interface ObservedIpFilter {
  readonly status?: ObservedStatus | undefined;
  readonly keyId?: string | undefined;
}

/** One request as the request log keeps it (docs/architecture/pipeline.md#8-record). */
export interface RequestRecord {
  readonly requestId: string;
  readonly at: Date;
  readonly tenantId: string | null;
  readonly apiId: string | null;
  readonly keyId: string | null;
  /** The resolved client address; null when it could not be resolved. */
  readonly client: string | null;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /**
   * `would-deny`: the rules denied the request but it passed, because the tenant or the API that
   * denied it is report-only; `stage` and `reason` then say what would have denied it.
   */
  readonly decision: RequestDecision;
  /** The stage that denied (or would have), `complete`, `route`, `authentication` or `upstream`. */
  readonly stage: string | null;
  readonly reason: string | null;
  readonly latencyMs: number;
  /**
   * The browser origin the decision read (`https://app.example.com`; `null` for one that is not an
   * origin); null or absent for a server request. What a simulation decides domain rules with.
   */
  readonly origin?: string | null | undefined;
  /**
   * The list entries that let the request through the stages it passed, in stage order: an API
   * allowlist entry, a tenant entry, a key's IP entry or domain rule. For an allowed request, the
   * entries it was allowed by; for `would-deny`, those of the stages before the one that would have
   * denied. Empty (or absent) when none did: an open API, mode `off`, a denial at the first stage.
   */
  readonly matched?: readonly RecordedMatch[] | undefined;
}

/**
 * Allowed requests of one minute and one group, counted instead of logged one by one
 * (docs/architecture/storage.md#counted-requests): the requests of `minute` that share tenant, API,
 * key, client, method, status, origin and matched entries. Appending adds to what is stored for the
 * same minute and group.
 */
export interface RequestCount {
  /** The minute's start (whole minute, UTC); `firstAt` and `lastAt` lie within it. */
  readonly minute: Date;
  readonly tenantId: string | null;
  readonly apiId: string | null;
  readonly keyId: string | null;
  readonly client: string | null;
  readonly method: string;
  readonly status: number;
  /** See {@link RequestRecord.origin}. */
  readonly origin?: string | null | undefined;
  /** See {@link RequestRecord.matched}. */
  readonly matched?: readonly RecordedMatch[] | undefined;
  /** Requests counted, from 1. */
  readonly count: number;
  readonly firstAt: Date;
  readonly lastAt: Date;
  /** The requests' latencies added up, and the longest. */
  readonly latencySumMs: number;
  readonly latencyMaxMs: number;
}

/** Which counts {@link RequestLogStore.listRequestCounts} reads: one tenant's, optionally one API's or key's, in a window. */
export interface RequestCountFilter {
  readonly tenantId: string;
  readonly apiId?: string | undefined;
  readonly keyId?: string | undefined;
  /** Minutes from this one (inclusive). */
  readonly since?: Date | undefined;
  /** Minutes before this one (exclusive). */
  readonly until?: Date | undefined;
}

/** One entry a recorded request matched: its list and its id (its name is read when the log is shown). */
export interface RecordedMatch {
  readonly list: RuleList;
  readonly entryId: string;
}

/** What happened to a recorded request. */
export type RequestDecision = 'allow' | 'deny' | 'would-deny';

export interface RequestFilter {
  readonly tenantId?: string | undefined;
  readonly apiId?: string | undefined;
  readonly keyId?: string | undefined;
  /** `allow` is what passed and was allowed; `would-deny` what passed in report-only. */
  readonly decision?: RequestDecision | undefined;
  readonly client?: string | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
}

/** Which records {@link Store.scanRequests} reads: one tenant (optionally one of its keys) or one API, in a window. */
export interface RequestScanFilter {
  readonly tenantId?: string | undefined;
  readonly keyId?: string | undefined;
  readonly apiId?: string | undefined;
  /** Inclusive. */
  readonly since: Date;
  /** Exclusive. */
  readonly until: Date;
}

/** What a simulation reads of a recorded request: what its decision depended on. */
export interface ScannedRequest {
  readonly requestId: string;
  readonly at: Date;
  readonly tenantId: string | null;
  readonly apiId: string | null;
  readonly keyId: string | null;
  readonly client: string | null;
  /** See {@link RequestRecord.origin}. */
  readonly origin: string | null;
  readonly stage: string | null;
  readonly decision: RequestDecision;
}

/** Who may use the management API: an admin token (or, later, a console user) with a role and a scope. */
export interface Principal {
  readonly id: string;
  readonly kind: 'token' | 'user';
  readonly name: string;
  readonly role: Role;
  /** Null: every tenant (and the top-level APIs). Otherwise the one tenant it may see. */
  readonly tenantId: string | null;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface CreateTokenInput {
  readonly name: string;
  readonly role: Role;
  readonly tenantId?: string | null | undefined;
}

/**
 * An entry of a list as the request path compiles it: enabled, with what a compiled set keeps
 * (id, name, the value as written) and its expiry. Canonical forms, provenance and versions stay
 * in the store.
 */
export interface RuleEntry {
  readonly id: string;
  readonly name: string;
  readonly type: EntryType;
  readonly value: string;
  /** Null for lists without expiry (a key's). */
  readonly expiresAt: Date | null;
}

/** A domain rule of a key as the request path compiles it. */
export interface RuleDomain {
  readonly id: string;
  readonly name: string;
  readonly value: string;
}

/** One tenant's rules: its mode and the enabled entries of its IP list, oldest first. */
export interface TenantRules {
  /** `enforce` absent: true. */
  readonly tenant: { readonly id: string; readonly ipMode: IpMode; readonly enforce?: boolean | undefined };
  readonly entries: readonly RuleEntry[];
  /**
   * Addresses a person rejected (observations with status `rejected`, under any key), read only for a
   * tenant in `auto` and absent when it has none: the node holds them without assessing them.
   */
  readonly rejected?: readonly string[] | undefined;
}

/** One API's rules: its route and upstream, and the enabled entries of its allowlist, oldest first. */
export interface ApiRules {
  readonly api: Pick<
    Api,
    'id' | 'name' | 'host' | 'pathPrefix' | 'stripPrefix' | 'upstreamUrl' | 'authHeader'
  > & {
    /** Absent: true. */
    readonly enforce?: boolean | undefined;
  };
  readonly entries: readonly RuleEntry[];
}

/** One active key's rules: what it is found by (the hash of its secret) and its restrictions. */
export interface KeyRules {
  readonly key: Pick<
    ApiKey,
    'id' | 'tenantId' | 'name' | 'ipRestrictionEnabled' | 'domainRestrictionEnabled'
  > & {
    /** SHA-256 (hex) of the secret: what requests are matched by. */
    readonly secretHash: string;
  };
  readonly ipEntries: readonly RuleEntry[];
  readonly domains: readonly RuleDomain[];
}

/**
 * The rules of some tenants, APIs and keys, consistent as of one change version. A unit mapped to
 * null is gone: deleted, or for a key revoked (a revoked key never authenticates).
 */
export interface RulesDelta {
  /** The change version the rules reflect: every change up to it, none after. */
  readonly version: number;
  readonly tenants: ReadonlyMap<string, TenantRules | null>;
  /**
   * Tenants (not in `tenants`) whose every change since the version asked for only added entries:
   * the entries they added, enabled and without expiry, oldest first, to append to the tenant's list
   * as of that version. Only when asked for (`additions`); absent or empty otherwise.
   */
  readonly tenantAdditions?: ReadonlyMap<string, readonly RuleEntry[]> | undefined;
  readonly apis: ReadonlyMap<string, ApiRules | null>;
  readonly keys: ReadonlyMap<string, KeyRules | null>;
}

/** A part of every rule in the store, as {@link Store.loadRules} hands them over. */
export interface RulesChunk {
  /** The change version of the load the chunk is part of. */
  readonly version: number;
  readonly tenants: readonly TenantRules[];
  readonly apis: readonly ApiRules[];
  readonly keys: readonly KeyRules[];
}

/** Tenants: their settings and mode. Part of {@link Store}. */
export interface TenantStore {
  createTenant(input: CreateTenantInput, options: CreateOptions): Promise<Tenant>;
  getTenant(tenantId: string): Promise<Tenant>;
  listTenants(page?: PageRequest): Promise<Page<Tenant>>;
  updateTenant(tenantId: string, patch: UpdateTenantInput, options: MutationOptions): Promise<Tenant>;
  /** Deletes the tenant with its lists and keys; its audit events stay. */
  deleteTenant(tenantId: string, options: MutationOptions): Promise<void>;
}

/** A tenant's IP list. Part of {@link Store}. */
export interface TenantIpListStore {
  listTenantIpEntries(tenantId: string): Promise<TenantIpEntry[]>;
  getTenantIpEntry(tenantId: string, entryId: string): Promise<TenantIpEntry>;
  /** Atomic against the tenant's `ipEntryLimit`; a second entry with the same canonical form is IPG_ALREADY_EXISTS. */
  addTenantIpEntry(tenantId: string, input: AddIpEntryInput, options: CreateOptions): Promise<TenantIpEntry>;
  updateTenantIpEntry(
    tenantId: string,
    entryId: string,
    patch: UpdateIpEntryInput,
    options: MutationOptions,
  ): Promise<TenantIpEntry>;
  removeTenantIpEntry(tenantId: string, entryId: string, options: MutationOptions): Promise<void>;
  /** Many entries as one change: one transaction, one audit event, one change version. */
  importTenantIpEntries(
    tenantId: string,
    input: ImportEntriesInput,
    options: ImportOptions,
  ): Promise<ImportEntriesResult<TenantIpEntry>>;
}

/** APIs: routes to upstreams. Part of {@link Store}. */
export interface ApiStore {
  createApi(input: CreateApiInput, options: CreateOptions): Promise<Api>;
  getApi(apiId: string): Promise<Api>;
  listApis(page?: PageRequest): Promise<Page<Api>>;
  updateApi(apiId: string, patch: UpdateApiInput, options: MutationOptions): Promise<Api>;
  deleteApi(apiId: string, options: MutationOptions): Promise<void>;
}

/** An API's network allowlist. Part of {@link Store}. */
export interface ApiAllowlistStore {
  listApiAllowlistEntries(apiId: string): Promise<ApiAllowlistEntry[]>;
  getApiAllowlistEntry(apiId: string, entryId: string): Promise<ApiAllowlistEntry>;
  /** Limited only when the store was opened with `apiAllowlistEntryLimit`. */
  addApiAllowlistEntry(
    apiId: string,
    input: AddIpEntryInput,
    options: CreateOptions,
  ): Promise<ApiAllowlistEntry>;
  updateApiAllowlistEntry(
    apiId: string,
    entryId: string,
    patch: UpdateIpEntryInput,
    options: MutationOptions,
  ): Promise<ApiAllowlistEntry>;
  removeApiAllowlistEntry(apiId: string, entryId: string, options: MutationOptions): Promise<void>;
  /** As {@link Store.importTenantIpEntries}, for an API's allowlist. */
  importApiAllowlistEntries(
    apiId: string,
    input: ImportEntriesInput,
    options: ImportOptions,
  ): Promise<ImportEntriesResult<ApiAllowlistEntry>>;
}

/** Keys: made, found by secret, rotated, revoked. Part of {@link Store}. */
export interface KeyStore {
  /** Returns the secret once; only its SHA-256 is stored. */
  createKey(tenantId: string, input: CreateKeyInput, options: CreateOptions): Promise<KeyWithSecret>;
  getKey(tenantId: string, keyId: string): Promise<ApiKey>;
  listKeys(tenantId: string, page?: PageRequest): Promise<Page<ApiKey>>;
  /** The active key with this secret, or undefined (unknown or revoked). */
  findKeyBySecret(secret: string): Promise<ApiKey | undefined>;
  /** Name and the two restriction switches. */
  updateKey(
    tenantId: string,
    keyId: string,
    patch: UpdateKeyInput,
    options: MutationOptions,
  ): Promise<ApiKey>;
  /** A new secret; the old one stops working in the same transaction. */
  rotateKey(tenantId: string, keyId: string, options: MutationOptions): Promise<KeyWithSecret>;
  /** The key stops working for good. Revoking a revoked key changes nothing. */
  revokeKey(tenantId: string, keyId: string, options: MutationOptions): Promise<ApiKey>;
}

/** A key's own IP and domain lists. Part of {@link Store}. */
export interface KeyEntryStore {
  listKeyIpEntries(tenantId: string, keyId: string): Promise<KeyIpEntry[]>;
  /** Atomic against the tenant's `keyIpLimit`. */
  addKeyIpEntry(
    tenantId: string,
    keyId: string,
    input: AddKeyEntryInput,
    options: CreateOptions,
  ): Promise<KeyIpEntry>;
  updateKeyIpEntry(
    tenantId: string,
    keyId: string,
    entryId: string,
    patch: UpdateKeyEntryInput,
    options: MutationOptions,
  ): Promise<KeyIpEntry>;
  removeKeyIpEntry(tenantId: string, keyId: string, entryId: string, options: MutationOptions): Promise<void>;

  listKeyDomainEntries(tenantId: string, keyId: string): Promise<KeyDomainEntry[]>;
  /** Atomic against the tenant's `keyDomainLimit`. */
  addKeyDomainEntry(
    tenantId: string,
    keyId: string,
    input: AddKeyEntryInput,
    options: CreateOptions,
  ): Promise<KeyDomainEntry>;
  updateKeyDomainEntry(
    tenantId: string,
    keyId: string,
    entryId: string,
    patch: UpdateKeyEntryInput,
    options: MutationOptions,
  ): Promise<KeyDomainEntry>;
  removeKeyDomainEntry(
    tenantId: string,
    keyId: string,
    entryId: string,
    options: MutationOptions,
  ): Promise<void>;
}

/** What requests leave behind for review: observed addresses, entry usage, and the automatic assessment's writes. Part of {@link Store}. */
export interface ObservationStore {
  /**
   * Upserts a batch of observations: count added, first/last seen widened, status as described on
   * {@link Observation}. One transaction; observations of deleted keys or tenants are dropped.
   * Not an audited change (it is traffic, not configuration).
   */
  recordObservations(batch: readonly Observation[]): Promise<void>;
  /**
   * Adds hits counted by a node to the stored per-entry totals (additive: nodes and workers flushing at
   * once add up), in one transaction. Not audited (traffic, not configuration).
   */
  recordEntryUsage(batch: readonly EntryHits[]): Promise<void>;
  /** The stored usage of these entries (any list); entries never matched are absent. */
  entryUsage(entryIds: readonly string[]): Promise<Map<string, EntryUsage>>;
  /** Newest `lastSeen` first. */
  listObservedIps(tenantId: string, filter?: ObservedIpFilter, page?: PageRequest): Promise<Page<ObservedIp>>;
  getObservedIp(tenantId: string, observedId: string): Promise<ObservedIp>;
  /**
   * Marks the address authorized and adds it to the tenant IP list (source `review`, named `name` or
   * the address) in the same transaction, against the tenant's limit. An address already covered by
   * the list is only marked.
   */
  authorizeObservedIp(
    tenantId: string,
    observedId: string,
    input: { readonly name?: string | undefined; readonly reason?: string | undefined },
    options: MutationOptions,
  ): Promise<{ readonly observed: ObservedIp; readonly entry: TenantIpEntry | null }>;
  /**
   * Marks the address rejected (`auto` never lists it again, for any key: docs/review.md); with
   * `rotateKey` the key gets a new secret in the same transaction, returned once. Entries review added for exactly
   * this address (source `review` or `auto`) are removed in the same transaction and returned;
   * `stillListed` says whether other entries (written by a person, or wider) still let it through.
   */
  rejectObservedIp(
    tenantId: string,
    observedId: string,
    input: { readonly rotateKey?: boolean | undefined; readonly reason?: string | undefined },
    options: MutationOptions,
  ): Promise<RejectedObservedIp>;

  /**
   * The `auto` mode's write (docs/architecture/review.md#auto-on-the-request-path): adds a trusted
   * address to the tenant list (source `auto`, the assessment's reasons as the entry's reason, made by
   * `auto-review`) and marks its observation authorized with the assessment, in one transaction with
   * one audit event (`tenant.observed_ip.auto_authorized`). Writes nothing and says why when the
   * tenant is no longer in `auto`, the key is gone, a person rejected the address (under any of the
   * tenant's keys), the list is full (`limit-reached`) or holds the value disabled or expired
   * (`entry-exists`). A batch of one of {@link autoAuthorizeAddresses}.
   */
  autoAuthorizeAddress(input: AutoAuthorizeInput): Promise<AutoAuthorizeResult>;

  /**
   * The `auto` mode's write of the trusted addresses a node gathered for one tenant (at most 1,000):
   * each as {@link autoAuthorizeAddress} would, in order (key, then address), in ONE transaction with
   * ONE change — so every node recompiles the tenant once for the batch — and one audit event
   * `tenant.observed_ip.auto_authorized` per address listed, all carrying that change's version.
   * One result per address, in the order given. When the list fills up midway, the addresses past
   * its limit are `limit-reached` and the ones before are listed.
   */
  autoAuthorizeAddresses(input: AutoAuthorizeBatchInput): Promise<AutoAuthorizeResult[]>;

  /**
   * Holds a burst of new addresses on one key, on every node (docs/architecture/review.md#a-burst-on-one-key):
   * notes the key as in a burst until the window has passed (so {@link autoAuthorizeAddress} lists none of
   * its addresses meanwhile, whichever node asks), and undoes what the `auto` mode listed for the key
   * within the window — its `auto` entries removed, the observations back to `pending` with the
   * assessment held by `key-burst`, `ip.pending` queued, one audit event
   * `tenant.observed_ip.burst_held` each. A person's entries and decisions are left alone.
   */
  holdKeyBurst(input: HoldKeyBurstInput): Promise<HoldKeyBurstResult>;
}

/** The request log, and the pruning of every table that grows with traffic. Part of {@link Store}. */
export interface RequestLogStore {
  /** Appends a batch of request records in one transaction. */
  appendRequests(batch: readonly RequestRecord[]): Promise<void>;
  /** Newest first. */
  listRequests(filter?: RequestFilter, page?: PageRequest): Promise<Page<RequestRecord>>;
  getRequest(requestId: string): Promise<RequestRecord>;
  /**
   * Adds counted allowed requests to the stored counts of their minute and group, in one
   * transaction; bad input rejects the whole batch (400, `index` and `field` say where).
   */
  appendRequestCounts(batch: readonly RequestCount[]): Promise<void>;
  /** A tenant's counts, newest minute first. */
  listRequestCounts(filter: RequestCountFilter, page?: PageRequest): Promise<Page<RequestCount>>;
  /**
   * Reads a tenant's, key's or API's records in a window, oldest first, `batchSize` (5,000) at a time,
   * each page handed to `onBatch` (and awaited) before the next is read; stops after `maxRows`,
   * saying whether more were left (`truncated`).
   */
  scanRequests(
    filter: RequestScanFilter,
    onBatch: (rows: readonly ScannedRequest[]) => void | Promise<void>,
    options?: { readonly batchSize?: number | undefined; readonly maxRows?: number | undefined },
  ): Promise<{ readonly rows: number; readonly truncated: boolean }>;
  /**
   * Deletes records older than `before`, and the counts of minutes before it, in batches of
   * `batchSize` (5,000) rows; returns how many rows went.
   */
  pruneRequests(before: Date, options?: { readonly batchSize?: number | undefined }): Promise<number>;
  /**
   * Deletes observed addresses not seen since `before`, rejected ones excepted, in batches; returns how
   * many.
   */
  pruneObservedIps(before: Date, options?: { readonly batchSize?: number | undefined }): Promise<number>;
  /**
   * Deletes from the notification tables what is older than `before`, in batches: finished
   * deliveries (sent, failed, skipped) with their attempts, notifications none of whose deliveries is
   * left, kept emails, action tokens that expired, bursts that ended. Queued deliveries stay.
   */
  pruneNotifications(
    before: Date,
    options?: { readonly batchSize?: number | undefined },
  ): Promise<NotificationPruneCounts>;
}

/** Admin tokens and the principals of the management API. Part of {@link Store}. */
export interface PrincipalStore {
  /** Returns the token's secret once; only its SHA-256 is stored. */
  createToken(
    input: CreateTokenInput,
    options: CreateOptions,
  ): Promise<{ readonly principal: Principal; readonly secret: string }>;
  /** The principal of a token secret, or undefined. Compares hashes, never secrets. */
  findTokenBySecret(secret: string): Promise<Principal | undefined>;
  /** Oldest first; with `tenantId`, only that tenant's principals. */
  listPrincipals(
    page?: PageRequest,
    filter?: { readonly tenantId?: string | undefined },
  ): Promise<Page<Principal>>;
  /** One principal, or IPG_NOT_FOUND. */
  getPrincipal(principalId: string): Promise<Principal>;
  deletePrincipal(principalId: string, options: MutationOptions): Promise<void>;
  countPrincipals(): Promise<number>;
}

/** Console users and their sessions. Part of {@link Store}. */
export interface ConsoleUserStore {
  /** A console user; `passwordHash` is an encoded Argon2id hash (docs/architecture/console.md#users). */
  createUser(input: CreateUserInput, options: CreateOptions): Promise<Principal>;
  /** The user of that name with its password hash, for signing in; undefined when there is none. */
  findUserByName(
    name: string,
  ): Promise<{ readonly principal: Principal; readonly passwordHash: string } | undefined>;
  /** Sets a user's password hash and ends every session of that user. */
  setUserPassword(principalId: string, passwordHash: string, options: MutationOptions): Promise<Principal>;
  /** Starts a console session; the secret goes into the cookie and is stored only as its hash. */
  createConsoleSession(
    principalId: string,
    createdAt: Date,
    expiresAt: Date,
  ): Promise<{ readonly secret: string; readonly session: ConsoleSession }>;
  /** The session of a cookie secret with its user; undefined for anything else (expiry is not judged). */
  findConsoleSession(secret: string): Promise<ConsoleSession | undefined>;
  /** Records activity on a session (the idle expiry counts from it). */
  touchConsoleSession(sessionId: string, at: Date): Promise<void>;
  deleteConsoleSession(sessionId: string): Promise<void>;
  /** Deletes sessions past their end or idle since before `idleBefore`; returns how many. */
  pruneConsoleSessions(now: Date, idleBefore: Date): Promise<number>;
}

/** Every rule, as the snapshot engine loads it. Part of {@link Store}. */
export interface RulesStore {
  /**
   * Every unit's rules, consistent as of one change version, handed to `onChunk` a part at a time
   * (a few thousand tenants with their keys, then the APIs) so that a large store is never held in
   * memory whole. Resolves with the version. What a node compiles when it starts.
   */
  loadRules(
    onChunk: (chunk: RulesChunk) => void | Promise<void>,
    options?: { readonly tenantsPerChunk?: number | undefined },
  ): Promise<number>;
  /**
   * The rules of every tenant, API and key that changes after `version` touched, as of the latest
   * change. Undefined when there are more than `maxChanges` of them (default 1000): reloading
   * everything is then cheaper than following them one by one.
   */
  rulesSince(
    version: number,
    options?: {
      readonly maxChanges?: number | undefined;
      /**
       * When true, a tenant whose every change since `version` only added entries (that said so,
       * see `RulesDelta.tenantAdditions`) is handed over as just those entries, for a reader holding
       * the tenant compiled as of `version` to extend. Default false: every touched unit whole.
       */
      readonly additions?: boolean | undefined;
    },
  ): Promise<RulesDelta | undefined>;
}

/** Audit events. Part of {@link Store}. */
export interface AuditStore {
  /** The tenant's audit events, newest first, narrowed as {@link listAllAuditEvents} narrows. */
  listAuditEvents(tenantId: string, page?: PageRequest, filter?: AuditFilter): Promise<Page<AuditEvent>>;
  /** Every audit event (all tenants and the top-level APIs and principals), newest first. */
  listAllAuditEvents(page?: PageRequest, filter?: AuditFilter): Promise<Page<AuditEvent>>;
}

/** Changes: what the nodes follow to stay current. Part of {@link Store}. */
export interface ChangeStore {
  /** Changes with a version above `version`, oldest first, at most `limit` (default 1000). */
  changesSince(version: number, limit?: number): Promise<Change[]>;
  /** The version of the latest change; 0 for an empty store. */
  currentVersion(): Promise<number>;
  /**
   * The store's own id (`sto_…`), made once when its tables were created and kept by backups: what a
   * node's last good rules on disk are checked against.
   */
  storeId(): Promise<string>;

  /**
   * Calls `onChange` soon after any node commits a change (PostgreSQL: LISTEN/NOTIFY), and once after
   * every reconnection. Absent where there is nothing to follow (SQLite: one file, polled). The watch
   * may stop listening after a call: the caller awaits the `listen` it was given before its next
   * read of the store, and hears of every change that read does not see.
   */
  watchChanges?(onChange: ChangeListener): ChangeWatch;
}

/**
 * Domain operations on tenants, lists, APIs, keys, audit events and changes: one interface per
 * resource, of which the Store is the whole. A module that needs only some can ask for just those
 * (`TenantStore & KeyStore`); every implementation provides the whole.
 *
 * @example
 * const store = await openSqliteStore({ path: '/var/lib/ipgate/ipgate.db' });
 * const tenant = await store.createTenant({ name: 'Acme' }, { actor: 'user:ops' });
 * await store.addTenantIpEntry(tenant.id, { value: '203.0.113.0/24', name: 'office' }, { actor: 'user:ops' });
 * const { secret } = await store.createKey(tenant.id, { name: 'ci' }, { actor: 'user:ops' });
 * (await store.findKeyBySecret(secret))?.tenantId === tenant.id; // true
 */
export interface Store
  extends TenantStore,
    TenantIpListStore,
    ApiStore,
    ApiAllowlistStore,
    KeyStore,
    KeyEntryStore,
    ObservationStore,
    RequestLogStore,
    PrincipalStore,
    ConsoleUserStore,
    RulesStore,
    AuditStore,
    ChangeStore {
  /** Notification channels, the delivery queue, the outbox and the one-click action tokens. */
  readonly notifications: NotificationStore;

  /** Closes the connections. The store cannot be used afterwards. */
  close(): Promise<void>;
}
