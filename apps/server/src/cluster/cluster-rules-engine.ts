import type { RulesEngine } from '../snapshot/rules-engine.js';

/**
 * The rules engine the management API gets when gateway workers serve the traffic: `refresh()`
 * resolves only when the server process's own engine and every worker have compiled the change, so
 * the API answers a write only once the very next request — whichever worker takes it — enforces it.
 * `check()` and `version` come from the server process's engine, which reads the same store.
 *
 * @example
 * const pool = await startWorkerPool({ settings, count: 2, logger });
 * const admin = await buildAdminApp({ store, engine: clusterRulesEngine(engine, pool), logger });
 */
export function clusterRulesEngine(
  local: RulesEngine,
  workers: { refreshAll(): Promise<void> },
): RulesEngine {
  return {
    get version() {
      return local.version;
    },
    async refresh() {
      // Both at once: neither depends on the other, and each reads the store after the write committed.
      await Promise.all([local.refresh(), workers.refreshAll()]);
    },
    check: (input) => local.check(input),
  };
}
