import type { GateRules } from './rules.js';

/**
 * Where a gate gets its rules when they can change while it runs: a watched file
 * ({@link fileRules}), an ipgate server ({@link liveRules}), or your own. The gate calls `current()`
 * on every request, so it must be cheap: return the compiled rules held in a variable.
 *
 * @example
 * let rules: GateRules | undefined = listRules(IpSet.from(['10.0.0.0/8']), 'mine');
 * const source: RulesSource = { current: () => rules, close: () => {} };
 * createGate({ allow: source });
 */
export interface RulesSource {
  /** The rules in force now; undefined while none has arrived, and then the gate denies. */
  current(): GateRules | undefined;
  /** Stops watching or polling. Safe to call more than once. */
  close(): void | Promise<void>;
}

/**
 * Tells a rules source from a list of entries or an `IpSet`.
 *
 * @example
 * isRulesSource(fileRules('allow.txt')); // true
 * isRulesSource(['10.0.0.0/8']); // false
 */
export function isRulesSource(value: unknown): value is RulesSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { current?: unknown }).current === 'function' &&
    typeof (value as { close?: unknown }).close === 'function'
  );
}
