/**
 * What the management API simulates with: the list a target has now, from the store; the draft
 * applied to it; the rules in force, from the node's snapshot; the traffic, from the request log.
 */
import type { RestrictionMode } from '@ipgate/core';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { Store } from '../store/store.js';
import { applyDraft, type CurrentEntry, type ListDraft } from './draft.js';
import { type SimulationResult, type SimulationTarget, simulate } from './simulate.js';

/** The window and limits of a simulation; defaults: the last 24 hours, top 10, 1,000,000 requests. */
export interface SimulationOptions {
  readonly mode?: RestrictionMode | undefined;
  readonly restrictionEnabled?: boolean | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  readonly top?: number | undefined;
  readonly maxRequests?: number | undefined;
}

/** Runs simulations. */
export interface Simulator {
  run(target: SimulationTarget, draft: ListDraft, options?: SimulationOptions): Promise<SimulationResult>;
}

/** The window a simulation reads when none is given. */
export const DEFAULT_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * A simulator over a store and the snapshot in force.
 *
 * @example
 * const simulator = createSimulator(store, () => engine.current);
 * await simulator.run({ kind: 'tenant', tenantId }, { remove: ['ent_1'] });
 */
export function createSimulator(store: Store, snapshot: () => Snapshot): Simulator {
  async function currentEntries(target: SimulationTarget): Promise<CurrentEntry[]> {
    switch (target.kind) {
      case 'tenant':
        return store.listTenantIpEntries(target.tenantId);
      case 'api':
        return store.listApiAllowlistEntries(target.apiId);
      case 'key-ips':
        return store.listKeyIpEntries(target.tenantId, target.keyId);
      case 'key-domains':
        return store.listKeyDomainEntries(target.tenantId, target.keyId);
    }
  }
  return {
    async run(target, draft, options = {}) {
      const entries = applyDraft(
        await currentEntries(target),
        draft,
        target.kind === 'key-domains' ? 'domain' : 'ip',
      );
      const until = options.until ?? new Date();
      const since = options.since ?? new Date(until.getTime() - DEFAULT_WINDOW_MS);
      return simulate(store, snapshot(), {
        target,
        entries,
        mode: options.mode,
        restrictionEnabled: options.restrictionEnabled,
        since,
        until,
        top: options.top,
        maxRequests: options.maxRequests,
      });
    },
  };
}
