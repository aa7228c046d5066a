/**
 * The snapshot engine's tests' store: one set of rules in memory, every unit counted as changed on
 * `rulesSince`, and switches to make it fail (`failing`) or report too many changes (`tooMany`).
 */
import type { Logger } from '../log/logger.js';
import type { RulesChunk, RulesDelta } from '../store/store.js';
import { type FixtureParts, fixtureRules } from './rules-fixture.test-support.js';

export interface FakeRulesStoreOptions {
  /** What `storeId()` answers (a test may change `state.id` later). */
  readonly id?: string;
  /** The message of the error a failing store throws. */
  readonly failure?: string;
  /** Wait this long in every call, and hand `loadRules` over in two chunks with a wait between. */
  readonly delayMs?: number;
}

/**
 * @example
 * const fake = fakeRulesStore(fixtureRules({ version: 1 }), { delayMs: 1 });
 * const engine = createSnapshotEngine({ store: fake.store });
 * fake.state.failing = true;
 */
export function fakeRulesStore(initial: RulesChunk, options: FakeRulesStoreOptions = {}) {
  const state = {
    rules: initial,
    failing: false,
    tooMany: false,
    id: options.id ?? 'sto_one',
    loads: 0,
    deltas: 0,
    versions: 0,
  };
  const delayMs = options.delayMs;
  const later = () => (delayMs === undefined ? undefined : new Promise((r) => setTimeout(r, delayMs)));
  const check = () => {
    if (state.failing) throw new Error(options.failure ?? 'store down');
  };
  return {
    state,
    set(parts: FixtureParts) {
      state.rules = fixtureRules(parts);
    },
    store: {
      async storeId() {
        check();
        return state.id;
      },
      async currentVersion() {
        state.versions++;
        await later();
        check();
        return state.rules.version;
      },
      // Waits for each part as the real stores do (the engine may stop a load from its callback).
      async loadRules(onChunk: (chunk: RulesChunk) => void | Promise<void>) {
        state.loads++;
        await later();
        check();
        const r = state.rules;
        if (delayMs === undefined) {
          await onChunk(r);
          return r.version;
        }
        await onChunk({ version: r.version, tenants: r.tenants, apis: [], keys: r.keys });
        await later();
        await onChunk({ version: r.version, tenants: [], apis: r.apis, keys: [] });
        return r.version;
      },
      async rulesSince(version: number): Promise<RulesDelta | undefined> {
        state.deltas++;
        await later();
        check();
        if (state.tooMany) return undefined;
        const r = state.rules;
        if (r.version <= version) return { version, tenants: new Map(), apis: new Map(), keys: new Map() };
        return {
          version: r.version,
          tenants: new Map(r.tenants.map((t) => [t.tenant.id, t])),
          apis: new Map(r.apis.map((a) => [a.api.id, a])),
          keys: new Map(r.keys.map((k) => [k.key.id, k])),
        };
      },
    },
  };
}

/**
 * A logger that keeps `level message` lines.
 *
 * @example const { lines, logger } = recordingLogger(); … expect(lines).toContain('warn store unavailable');
 */
export function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = {
    info: (_f, m) => lines.push(`info ${m}`),
    warn: (_f, m) => lines.push(`warn ${m}`),
    error: (_f, m) => lines.push(`error ${m}`),
  };
  return { lines, logger };
}
