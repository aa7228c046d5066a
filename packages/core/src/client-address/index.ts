/**
 * Finding the client address of a request: from the socket, or behind proxies from `X-Forwarded-For` /
 * `Forwarded` by the rightmost-untrusted rule or by hop count (docs/architecture/client-address.md).
 */
export { type ClientAddressConfig, clientAddressStrategy } from './config.js';
export { parseForwardedNode } from './forwarded-node.js';
export { forwardingHeaderNames, hasForwardingHeaders } from './forwarding-headers.js';
export { forwardingHeaderLimits, type HeaderNodes, headerLines, readHeaderNodes } from './header-elements.js';
export { type HopCountOptions, hopCount } from './hop-count.js';
export { type ForwardedScan, parseForwarded, scanForwarded } from './parse-forwarded.js';
export { socketPeer } from './socket-peer.js';
export type {
  ClientAddressResult,
  ClientAddressStrategy,
  ForwardingHeader,
  HeaderValue,
  RequestHeaders,
} from './strategy.js';
export { type TrustedProxiesOptions, trustedProxies } from './trusted-proxies.js';
