/**
 * A node's compiled rules: the snapshot in force, and what it takes to change it one unit at a time
 * — which keys belong to which tenant (a deleted tenant takes its keys with it), and when each unit
 * must be compiled again because an entry expires. Synchronous and free of I/O: the snapshot engine
 * reads the store and hands the rows here.
 */
import type { ApiRules, RulesChunk, RulesDelta, TenantRules } from '../store/store.js';
import { compileApi, compileKey, compileTenant, extendTenant, type UnitCompile } from './compile-unit.js';
import { ExpiryQueue } from './expiry-queue.js';
import { RouteTable } from './route-table.js';
import { type MapChanges, ShardedMap } from './sharded-map.js';
import {
  type CompiledApi,
  type CompiledKey,
  type CompiledTenant,
  emptySnapshot,
  type Snapshot,
} from './snapshot.js';

/** Which units a swap changed; `full` when everything was replaced (a load). */
export interface SwapChanges {
  readonly full: boolean;
  readonly tenants: ReadonlySet<string>;
  readonly apis: ReadonlySet<string>;
  readonly keys: ReadonlySet<string>;
}

/** What a unit with an expiry ahead needs to be compiled again without the store. */
type Pending =
  | { readonly kind: 'tenant'; readonly rules: TenantRules; readonly version: number }
  | { readonly kind: 'api'; readonly rules: ApiRules; readonly version: number };

/** Reports a row that could not be compiled, with the version it was read at. */
export type ProblemSink = (problem: string, version: number) => void;

/**
 * A full load in progress: chunks are compiled as they arrive, and nothing replaces the snapshot in
 * force until {@link RulesLoad.finish}.
 */
export interface RulesLoad {
  add(chunk: RulesChunk): void;
  /** Swaps the loaded rules in and returns what changed (everything). */
  finish(version: number): SwapChanges;
}

/**
 * @example
 * const rules = new CompiledRules((problem) => logger.warn({ problem }, 'rule row skipped'));
 * const load = rules.beginLoad(Date.now());
 * await store.loadRules((chunk) => load.add(chunk)).then((v) => load.finish(v));
 * rules.apply(await store.rulesSince(rules.snapshot.version), Date.now());
 * rules.snapshot.tenants.get('ten_1')?.restriction.list.has('203.0.113.7');
 */
export class CompiledRules {
  #snapshot: Snapshot = emptySnapshot();
  #keysOfTenant = new Map<string, string[]>();
  #expiries = new ExpiryQueue<Pending>();
  readonly #report: ProblemSink;

  constructor(report: ProblemSink = () => {}) {
    this.#report = report;
  }

  /** The snapshot in force. */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** When the next entry expires (ms), or null. */
  get nextExpiry(): number | null {
    return this.#expiries.next();
  }

  /** Starts replacing everything with a full load's units, compiled as of `now`. */
  beginLoad(now: number): RulesLoad {
    const tenants: [string, CompiledTenant][] = [];
    const apis: [string, CompiledApi][] = [];
    const keys: CompiledKey[] = [];
    const keysOfTenant = new Map<string, string[]>();
    const expiries = new ExpiryQueue<Pending>();
    const tenantIds = new Set<string>();
    let finished = false;
    return {
      add: (chunk) => {
        for (const rules of chunk.tenants) {
          const unit = this.#compile(compileTenant(rules, chunk.version, now), chunk.version);
          tenants.push([rules.tenant.id, unit.compiled]);
          tenantIds.add(rules.tenant.id);
          if (unit.nextExpiry !== null)
            expiries.schedule(tenantUnit(rules.tenant.id), unit.nextExpiry, {
              kind: 'tenant',
              rules,
              version: chunk.version,
            });
        }
        for (const rules of chunk.apis) {
          const unit = this.#compile(compileApi(rules, chunk.version, now), chunk.version);
          apis.push([rules.api.id, unit.compiled]);
          if (unit.nextExpiry !== null)
            expiries.schedule(apiUnit(rules.api.id), unit.nextExpiry, {
              kind: 'api',
              rules,
              version: chunk.version,
            });
        }
        for (const rules of chunk.keys) keys.push(this.#compile(compileKey(rules), chunk.version).compiled);
      },
      finish: (version) => {
        if (finished) throw new Error('a rules load finishes once');
        finished = true;
        const live: CompiledKey[] = [];
        for (const key of keys) {
          // The store deletes a tenant's keys with it, so this only guards against a broken store.
          if (!tenantIds.has(key.tenantId)) {
            this.#report(`key ${key.id}: tenant ${key.tenantId} is missing`, version);
            continue;
          }
          live.push(key);
          addKeyOf(keysOfTenant, key);
        }
        const apiMap = ShardedMap.from(apis);
        this.#snapshot = Object.freeze({
          version,
          builtAt: new Date(now),
          routes: RouteTable.from(apiMap.values()),
          apis: apiMap,
          tenants: ShardedMap.from(tenants),
          keysByHash: ShardedMap.from(live.map((k) => [k.secretHash, k] as const)),
          keysById: ShardedMap.from(live.map((k) => [k.id, k] as const)),
        });
        this.#keysOfTenant = keysOfTenant;
        this.#expiries = expiries;
        return { full: true, tenants: new Set(), apis: new Set(), keys: new Set() };
      },
    };
  }

  /**
   * True when every tenant the delta hands over as entries added (`tenantAdditions`) is one this
   * snapshot holds — which {@link apply} extends. A node asks the store again for whole units when not.
   */
  canExtend(delta: RulesDelta): boolean {
    for (const id of delta.tenantAdditions?.keys() ?? []) if (!this.#snapshot.tenants.has(id)) return false;
    return true;
  }

  /**
   * Recompiles the units of a delta, extends the tenants it hands over as entries added (see
   * {@link canExtend}; throws when one is missing), and swaps in a snapshot at its version that
   * shares every other unit with the one before. Returns which units changed.
   */
  apply(delta: RulesDelta, now: number): SwapChanges {
    const tenantChanges: [string, CompiledTenant | undefined][] = [];
    const apiChanges: [string, CompiledApi | undefined][] = [];
    const keyChanges = new Map<string, CompiledKey | undefined>();
    const version = delta.version;

    for (const [id, rules] of delta.tenants) {
      if (rules === null) {
        tenantChanges.push([id, undefined]);
        this.#expiries.cancel(tenantUnit(id));
        // Its keys went with it (the store deletes them in the same transaction).
        for (const keyId of this.#keysOfTenant.get(id) ?? []) keyChanges.set(keyId, undefined);
        continue;
      }
      tenantChanges.push([id, this.#tenant(rules, version, now)]);
    }
    for (const [id, added] of delta.tenantAdditions ?? []) {
      const before = this.#snapshot.tenants.get(id);
      if (before === undefined)
        throw new Error(
          `tenant ${id}: entries added to a tenant this node does not hold (check canExtend first)`,
        );
      // A list with an expiry ahead keeps its rows for the expiry queue: compiled whole from those
      // rows and the new ones, as of `now` (an entry due meanwhile is left out, as a full read would).
      const pending = this.#expiries.payloadOf(tenantUnit(id));
      if (pending?.kind === 'tenant') {
        const rules = { tenant: pending.rules.tenant, entries: [...pending.rules.entries, ...added] };
        tenantChanges.push([id, this.#tenant(rules, version, now)]);
      } else {
        tenantChanges.push([id, this.#compile(extendTenant(before, added, version), version).compiled]);
      }
    }
    for (const [id, rules] of delta.apis) {
      if (rules === null) {
        apiChanges.push([id, undefined]);
        this.#expiries.cancel(apiUnit(id));
        continue;
      }
      apiChanges.push([id, this.#api(rules, version, now)]);
    }
    const tenants = this.#snapshot.tenants.with(tenantChanges);
    for (const [id, rules] of delta.keys) {
      if (rules !== null && !tenants.has(rules.key.tenantId)) {
        this.#report(`key ${id}: tenant ${rules.key.tenantId} is missing`, version);
        keyChanges.set(id, undefined);
        continue;
      }
      keyChanges.set(id, rules === null ? undefined : this.#compile(compileKey(rules), version).compiled);
    }
    this.#swap({ version, now, tenants, apiChanges, keyChanges });
    return {
      full: false,
      tenants: new Set(tenantChanges.map(([id]) => id)),
      apis: new Set(apiChanges.map(([id]) => id)),
      keys: new Set(keyChanges.keys()),
    };
  }

  /**
   * Recompiles, from the rows kept for the purpose, every unit with an entry whose expiry has come
   * by `now`; no store is needed, so entries expire during a store outage too. Returns which units
   * changed (none when nothing was due).
   */
  expire(now: number): SwapChanges {
    const due = this.#expiries.takeDue(now);
    const tenantChanges: [string, CompiledTenant | undefined][] = [];
    const apiChanges: [string, CompiledApi | undefined][] = [];
    for (const { payload } of due) {
      if (payload.kind === 'tenant') {
        tenantChanges.push([payload.rules.tenant.id, this.#tenant(payload.rules, payload.version, now)]);
      } else {
        apiChanges.push([payload.rules.api.id, this.#api(payload.rules, payload.version, now)]);
      }
    }
    if (due.length > 0) {
      const tenants = this.#snapshot.tenants.with(tenantChanges);
      this.#swap({ version: this.#snapshot.version, now, tenants, apiChanges, keyChanges: new Map() });
    }
    return {
      full: false,
      tenants: new Set(tenantChanges.map(([id]) => id)),
      apis: new Set(apiChanges.map(([id]) => id)),
      keys: new Set(),
    };
  }

  #swap(change: {
    version: number;
    now: number;
    tenants: ShardedMap<CompiledTenant>;
    apiChanges: MapChanges<CompiledApi>;
    keyChanges: ReadonlyMap<string, CompiledKey | undefined>;
  }): void {
    const before = this.#snapshot;
    const apiChanges = [...change.apiChanges];
    const apis = before.apis.with(apiChanges);
    const byId: [string, CompiledKey | undefined][] = [];
    const byHash: [string, CompiledKey | undefined][] = [];
    for (const [id, key] of change.keyChanges) {
      const old = before.keysById.get(id);
      if (old !== undefined) {
        byHash.push([old.secretHash, undefined]);
        removeKeyOf(this.#keysOfTenant, old);
      }
      byId.push([id, key]);
      if (key !== undefined) {
        byHash.push([key.secretHash, key]);
        addKeyOf(this.#keysOfTenant, key);
      }
    }
    this.#snapshot = Object.freeze({
      version: change.version,
      builtAt: new Date(change.now),
      // Routes hold the compiled APIs, so any API change rebuilds them (a few hundred µs at 1,000 APIs).
      routes: apiChanges.length === 0 ? before.routes : RouteTable.from(apis.values()),
      apis,
      tenants: change.tenants,
      keysByHash: before.keysByHash.with(byHash),
      keysById: before.keysById.with(byId),
    });
  }

  #tenant(rules: TenantRules, version: number, now: number): CompiledTenant {
    const unit = this.#compile(compileTenant(rules, version, now), version);
    if (unit.nextExpiry === null) this.#expiries.cancel(tenantUnit(rules.tenant.id));
    else
      this.#expiries.schedule(tenantUnit(rules.tenant.id), unit.nextExpiry, {
        kind: 'tenant',
        rules,
        version,
      });
    return unit.compiled;
  }

  #api(rules: ApiRules, version: number, now: number): CompiledApi {
    const unit = this.#compile(compileApi(rules, version, now), version);
    if (unit.nextExpiry === null) this.#expiries.cancel(apiUnit(rules.api.id));
    else this.#expiries.schedule(apiUnit(rules.api.id), unit.nextExpiry, { kind: 'api', rules, version });
    return unit.compiled;
  }

  #compile<T>(unit: UnitCompile<T>, version: number): UnitCompile<T> {
    for (const problem of unit.problems) this.#report(problem, version);
    return unit;
  }
}

function tenantUnit(id: string): string {
  return `tenant:${id}`;
}

function apiUnit(id: string): string {
  return `api:${id}`;
}

// A tenant has a key or a few: arrays cost a fraction of Sets, and their scans are short.
function addKeyOf(index: Map<string, string[]>, key: CompiledKey): void {
  const list = index.get(key.tenantId);
  if (list === undefined) index.set(key.tenantId, [key.id]);
  else if (!list.includes(key.id)) list.push(key.id);
}

function removeKeyOf(index: Map<string, string[]>, key: CompiledKey): void {
  const list = index.get(key.tenantId);
  if (list === undefined) return;
  const at = list.indexOf(key.id);
  if (at !== -1) list.splice(at, 1);
  if (list.length === 0) index.delete(key.tenantId);
}

/** Compiles one whole set of rules at once (tests, and the reference the incremental path must equal). */
export function compileAll(all: RulesChunk, now: number, report?: ProblemSink): CompiledRules {
  const rules = new CompiledRules(report);
  const load = rules.beginLoad(now);
  load.add(all);
  load.finish(all.version);
  return rules;
}
