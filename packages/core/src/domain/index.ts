export {
  type DomainMatch,
  type DomainRuleInput,
  DomainSet,
  type NamedDomainRule,
} from './domain-set.js';
export { type HostHeader, parseHostHeader } from './host-header.js';
export {
  formatOrigin,
  type OriginHeaders,
  originOf,
  type ParsedOrigin,
  parseOrigin,
  parseRefererOrigin,
  type RequestOrigin,
} from './origin.js';
export {
  type DomainRule,
  formatDomainRule,
  parseDomainRule,
  tryParseDomainRule,
} from './parse-domain-rule.js';
export { defaultPort, isWebScheme, type WebScheme } from './scheme.js';
