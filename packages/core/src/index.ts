/**
 * @ipgate/core: strict addresses, every entry form, compiled sets, browser-origin rules, the client
 * address behind proxies, and the access decision. No runtime dependencies.
 */
export { explainAddressError } from './address/explain-address-error.js';
export { canonicalAddress, IpAddress, type IpFamily } from './address/ip-address.js';
export { formatIPv4, scanIPv4 } from './address/ipv4.js';
export { formatIPv6, scanIPv6 } from './address/ipv6.js';
export * from './client-address/index.js';
export {
  type DecisionInput,
  decide,
  denyClientAddress,
  isBrowserKey,
  type KeyRestrictions,
  RESTRICTION_MODES,
  type RestrictionMode,
  type TenantRestriction,
} from './decision/decide.js';
export type { Decision, MatchedRule, RuleList, Stage } from './decision/decision.js';
export { DENIAL_MESSAGE, denialBody } from './decision/denial-body.js';
export * from './domain/index.js';
export { analyzeEntries, type NamedEntry } from './entry/analyze-entries.js';
export { cidrCover } from './entry/cidr-cover.js';
export type { Entry, EntryForm, EntryInput, EntryType, EntryWarning } from './entry/entry.js';
export {
  ENTRY_CSV_COLUMNS,
  type EntryCsv,
  type EntryCsvRow,
  formatEntryCsv,
  parseEntryCsv,
} from './entry/entry-csv.js';
export { type AllowListRow, formatAllowList } from './entry/format-allow-list.js';
export {
  type AllowList,
  type AllowListLine,
  type ParseAllowListOptions,
  parseAllowList,
} from './entry/parse-allow-list.js';
export { type ParseEntryOptions, parseEntry, tryParseEntry } from './entry/parse-entry.js';
export { type SpecialRange, specialRanges, specialRangesOverlapping } from './entry/special-ranges.js';
export {
  type DecisionReason,
  decisionReasons,
  type ErrorCode,
  type ErrorDescriptor,
  errors,
  type GatewayReason,
  gatewayReasons,
  type WarningCode,
  warnings,
} from './errors/catalogue.js';
export { configError } from './errors/config-error.js';
export { IpGateError, type IpGateErrorOptions, isIpGateError } from './errors/ip-gate-error.js';
export {
  type CompiledPublishedRules,
  PUBLISHED_RULES_FORMAT,
  type PublishedEntry,
  type PublishedRules,
  type PublishedScope,
  parsePublishedRules,
} from './published/published-rules.js';
export { IpSet, type IpSetMatch, type IpSetSource } from './set/ip-set.js';
export { type AddressRange, rangeToText } from './set/range-algebra.js';
