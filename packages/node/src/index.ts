/**
 * @ipgate/node: the framework-neutral gate that every ipgate adapter is built on, guards for plain
 * `node:http` and `node:net` servers, and rules from code, a watched file or a live ipgate server.
 * No runtime dependencies beyond @ipgate/core.
 */
export { writeFileAtomic } from './atomic-write.js';
export { type DenialOptions, type DenialResponse, denialRenderer } from './denial.js';
export { type FileRules, type FileRulesOptions, fileRules } from './file-rules.js';
export {
  type AllowOption,
  createGate,
  type DecisionEvent,
  type Gate,
  type GateOptions,
  type GateRequest,
  type GateResult,
} from './gate.js';
export { type GatedListener, gateListener, type HttpGate, httpGate, NodeGateRequest } from './http-gate.js';
export type { KeyRuleOptions, KeysOption } from './key-rules.js';
export {
  type LiveRules,
  type LiveRulesOptions,
  type LiveRulesStart,
  type LiveScope,
  liveRules,
} from './live-rules.js';
export { type NetGuard, type NetGuardOptions, netGuard } from './net-guard.js';
export { type GateRules, listRules, publishedGateRules } from './rules.js';
export { parseRulesFile } from './rules-file-format.js';
export { isRulesSource, type RulesSource } from './rules-source.js';
