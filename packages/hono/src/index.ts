/**
 * @ipgate/hono: ipgate as Hono middleware, and as a `createServer` for `@hono/node-server` that
 * guards the whole app in front of Hono.
 */

export type { GateOptions, GateResult } from '@ipgate/node';
export { type IpGateCreateServer, ipGateCreateServer } from './create-server.js';
export {
  type HonoIpGateOptions,
  type IpGateHonoMiddleware,
  ipGate,
  nodeSocketPeer,
  type PeerOf,
} from './ip-gate.js';
