/**
 * @ipgate/express: ipgate as Express middleware (Express 4.21+ and 5).
 */

export { type GatedListener, type GateOptions, type GateResult, gateListener } from '@ipgate/node';
export { type IpGateMiddleware, ipGate } from './ip-gate.js';
