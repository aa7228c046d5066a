/**
 * @ipgate/fastify: ipgate as a Fastify 5 plugin, with per-route rules in the route's `config`.
 */

export type { GateOptions, GateResult } from '@ipgate/node';
export { type IpGatePluginOptions, ipGate, type RouteIpGateConfig } from './plugin.js';
