/**
 * @ipgate/hono: ipgate as Hono middleware.
 */

export type { GateOptions, GateResult } from '@ipgate/node';
export {
  type HonoIpGateOptions,
  type IpGateHonoMiddleware,
  ipGate,
  nodeSocketPeer,
  type PeerOf,
} from './ip-gate.js';
