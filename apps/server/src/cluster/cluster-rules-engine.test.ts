import { describe, expect, it } from 'vitest';
import type { CheckOutcome, RulesEngine } from '../snapshot/rules-engine.js';
import { clusterRulesEngine } from './cluster-rules-engine.js';

function fakeLocal(log: string[]): RulesEngine {
  return {
    version: 7,
    async refresh() {
      log.push('local');
    },
    check: () => ({ snapshotVersion: 7 }) as CheckOutcome,
  };
}

describe('clusterRulesEngine', () => {
  it('refreshes the local engine and every worker before resolving', async () => {
    const log: string[] = [];
    let release!: () => void;
    const workers = {
      refreshAll: () =>
        new Promise<void>((r) => {
          release = () => {
            log.push('workers');
            r();
          };
        }),
    };
    const engine = clusterRulesEngine(fakeLocal(log), workers);
    let done = false;
    const refreshing = engine.refresh().then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false); // the workers have not acknowledged yet
    release();
    await refreshing;
    expect(log.sort()).toEqual(['local', 'workers']);
  });

  it('fails the refresh when a worker could not pick the change up', async () => {
    const engine = clusterRulesEngine(fakeLocal([]), {
      refreshAll: () => Promise.reject(new Error('gateway worker 42 could not refresh')),
    });
    await expect(engine.refresh()).rejects.toThrow(/worker 42/);
  });

  it('answers version and check from the local engine', () => {
    const engine = clusterRulesEngine(fakeLocal([]), { refreshAll: async () => {} });
    expect(engine.version).toBe(7);
    expect(engine.check({ address: '127.0.0.1' }).snapshotVersion).toBe(7);
  });
});
