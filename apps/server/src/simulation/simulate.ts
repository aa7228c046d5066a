/**
 * Impact simulation (docs/architecture/pipeline.md#simulating-a-change): decides the recorded
 * requests of a window twice — with the rules in force and with a draft of one list — and reports
 * what would flip. Reads the request log a page at a time and keeps only bounded tallies, so memory
 * does not grow with the window; yields to the event loop between pages, because the gateway may
 * share the process.
 */
import { DomainSet, IpAddress, IpSet, type RestrictionMode } from '@ipgate/core';
import { originFromRecord } from '../records/recorded-origin.js';
import { decideOnSnapshot } from '../snapshot/decide-on-snapshot.js';
import type { CompiledApi, CompiledKey, CompiledTenant, Snapshot } from '../snapshot/snapshot.js';
import type { RequestScanFilter, ScannedRequest, Store } from '../store/store.js';
import type { DraftEntry } from './draft.js';
import { type FlipSummary, FlipTally } from './flip-tally.js';
import { UnmatchedEntries } from './unmatched-entries.js';

/** The list a draft replaces. */
export type SimulationTarget =
  | { readonly kind: 'tenant'; readonly tenantId: string }
  | { readonly kind: 'api'; readonly apiId: string }
  | { readonly kind: 'key-ips'; readonly tenantId: string; readonly keyId: string }
  | { readonly kind: 'key-domains'; readonly tenantId: string; readonly keyId: string };

/** What to simulate. */
export interface SimulationInput {
  readonly target: SimulationTarget;
  /** The list as the draft has it (see `applyDraft`). */
  readonly entries: readonly DraftEntry[];
  /** A tenant's mode under the draft; default the mode in force. */
  readonly mode?: RestrictionMode | undefined;
  /** A key's restriction switch (of the list simulated) under the draft; default as in force. */
  readonly restrictionEnabled?: boolean | undefined;
  readonly since: Date;
  readonly until: Date;
  /** Addresses listed per flip; default 10. */
  readonly top?: number | undefined;
  /** Most requests read; default 1,000,000. What is left is reported as `truncated`. */
  readonly maxRequests?: number | undefined;
  /** When entries count as expired; default now. */
  readonly now?: Date | undefined;
}

/** What a draft would have done to the recorded traffic. */
export interface SimulationResult {
  readonly window: { readonly since: Date; readonly until: Date };
  readonly requests: {
    /** Records read. */
    readonly examined: number;
    /** Records decided again (the rest: see `undecidable`). */
    readonly decided: number;
    /** Records that cannot be decided again: no client address, or a key, tenant or API gone since. */
    readonly undecidable: number;
    /** Of those decided, allowed by the rules in force (report-only ignored: what enforcing would do). */
    readonly allowedNow: number;
    /** Of those decided, allowed with the draft. */
    readonly allowedWithDraft: number;
  };
  readonly allowedToDenied: FlipSummary;
  readonly deniedToAllowed: FlipSummary;
  /** Enabled, unexpired entries of the draft that no request of the window would match. */
  readonly unmatchedEntries: readonly Pick<DraftEntry, 'id' | 'value' | 'name'>[];
  /** True when the window held more than `maxRequests` records: the figures cover the oldest ones. */
  readonly truncated: boolean;
}

/** Memory bounds of one simulation. */
const LIMITS = { exactDistinct: 100_000, trackedAddresses: 10_000 } as const;

/**
 * Runs a simulation against the snapshot in force and the store's request log.
 *
 * @example
 * const entries = applyDraft(await store.listTenantIpEntries(tenantId), { add: [{ value: '198.51.100.0/24' }] }, 'ip');
 * const r = await simulate(store, engine.current, { target: { kind: 'tenant', tenantId }, entries, since, until });
 * r.deniedToAllowed.requests;
 */
export async function simulate(
  store: Pick<Store, 'scanRequests'>,
  snapshot: Snapshot,
  input: SimulationInput,
): Promise<SimulationResult> {
  const now = (input.now ?? new Date()).getTime();
  const live = input.entries.filter(
    (e) => e.enabled && (e.expiresAt === null || e.expiresAt.getTime() > now),
  );
  const kind = input.target.kind === 'key-domains' ? 'domain' : 'ip';
  const swap = swapper(input, live);
  const unmatched = new UnmatchedEntries(live, kind);
  const toDenied = new FlipTally(LIMITS);
  const toAllowed = new FlipTally(LIMITS);
  const counts = { examined: 0, decided: 0, undecidable: 0, allowedNow: 0, allowedWithDraft: 0 };

  const decideRow = (row: ScannedRequest): void => {
    counts.examined++;
    const client = row.client === null ? undefined : IpAddress.tryParse(row.client)?.unmap();
    if (client === undefined) {
      counts.undecidable++;
      return;
    }
    const origin = originFromRecord(row.origin);
    unmatched.see(client, origin);
    // A request without a usable key is denied whatever the lists say.
    if (row.stage === 'authentication') {
      counts.decided++;
      return;
    }
    const api = row.apiId === null ? undefined : snapshot.apis.get(row.apiId);
    let now: boolean;
    let draft: boolean;
    if (row.keyId === null) {
      // Denied by the API allowlist before authentication: only the allowlist can be decided again.
      if (api === undefined) {
        counts.undecidable++;
        return;
      }
      now = decideOnSnapshot({ client, origin, api }).allow;
      draft = decideOnSnapshot({ client, origin, api: swap.api(api) }).allow;
    } else {
      const key = snapshot.keysById.get(row.keyId);
      const tenant = key === undefined ? undefined : snapshot.tenants.get(key.tenantId);
      if (key === undefined || tenant === undefined || (row.apiId !== null && api === undefined)) {
        counts.undecidable++;
        return;
      }
      now = decideOnSnapshot({ client, origin, api, tenant, key }).allow;
      draft = decideOnSnapshot({
        client,
        origin,
        api: api === undefined ? undefined : swap.api(api),
        tenant: swap.tenant(tenant),
        key: swap.key(key),
      }).allow;
    }
    counts.decided++;
    if (now) counts.allowedNow++;
    if (draft) counts.allowedWithDraft++;
    if (now && !draft) toDenied.add(row.client as string, row.keyId);
    else if (!now && draft) toAllowed.add(row.client as string, row.keyId);
  };

  const scanned = await store.scanRequests(
    scanFilter(input),
    async (rows) => {
      for (const row of rows) decideRow(row);
      // Let the gateway (and everything else on this event loop) run between pages.
      await new Promise((resolve) => setImmediate(resolve));
    },
    { maxRows: input.maxRequests ?? 1_000_000 },
  );
  const top = input.top ?? 10;
  return {
    window: { since: input.since, until: input.until },
    requests: counts,
    allowedToDenied: toDenied.summary(top),
    deniedToAllowed: toAllowed.summary(top),
    unmatchedEntries: unmatched.entries.map(({ id, value, name }) => ({ id, value, name })),
    truncated: scanned.truncated,
  };
}

function scanFilter(input: SimulationInput): RequestScanFilter {
  const t = input.target;
  const window = { since: input.since, until: input.until };
  if (t.kind === 'api') return { apiId: t.apiId, ...window };
  if (t.kind === 'tenant') return { tenantId: t.tenantId, ...window };
  return { tenantId: t.tenantId, keyId: t.keyId, ...window };
}

/** Puts the draft list in place of the target's list; everything else stays as in force. */
function swapper(input: SimulationInput, live: readonly DraftEntry[]) {
  const t = input.target;
  const same = <T>(x: T): T => x;
  const swap = {
    api: same as (a: CompiledApi) => CompiledApi,
    tenant: same as (x: CompiledTenant) => CompiledTenant,
    key: same as (k: CompiledKey) => CompiledKey,
  };
  const sources = live.map((e) => ({ value: e.value, ...(e.id === null ? {} : { id: e.id }), name: e.name }));
  if (t.kind === 'api') {
    const allowlist = IpSet.from(sources);
    swap.api = (a) => (a.id === t.apiId ? { ...a, allowlist, allowlistBroken: false } : a);
  } else if (t.kind === 'tenant') {
    const list = IpSet.from(sources);
    const mode = input.mode;
    swap.tenant = (x) =>
      x.id === t.tenantId ? { ...x, restriction: { mode: mode ?? x.restriction.mode, list } } : x;
  } else if (t.kind === 'key-ips') {
    const list = IpSet.from(sources);
    swap.key = (k) =>
      k.id === t.keyId
        ? {
            ...k,
            restrictions: {
              ...k.restrictions,
              ips: { enabled: input.restrictionEnabled ?? k.restrictions.ips.enabled, list },
            },
          }
        : k;
  } else {
    const list = DomainSet.from(sources);
    swap.key = (k) =>
      k.id === t.keyId
        ? {
            ...k,
            restrictions: {
              ...k.restrictions,
              domains: { enabled: input.restrictionEnabled ?? k.restrictions.domains.enabled, list },
            },
          }
        : k;
  }
  return { api: once(swap.api), tenant: once(swap.tenant), key: once(swap.key) };
}

/** The swap made once per unit, not once per request: the snapshot's units are the same objects throughout. */
function once<T extends object>(swap: (x: T) => T): (x: T) => T {
  const made = new WeakMap<T, T>();
  return (x) => {
    let y = made.get(x);
    if (y === undefined) {
      y = swap(x);
      made.set(x, y);
    }
    return y;
  };
}
