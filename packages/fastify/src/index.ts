/**
 * @ipgate/fastify: ipgate as a Fastify 5 plugin, with per-route rules in the route's `config`, and
 * as a `serverFactory` that guards the whole server in front of Fastify.
 */

export type { GateOptions, GateResult } from '@ipgate/node';
export { type IpGatePluginOptions, ipGate, type RouteIpGateConfig } from './plugin.js';
export { type IpGateServerFactory, ipGateServerFactory } from './server-factory.js';
