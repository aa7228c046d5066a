import type { Socket } from 'node:net';
import { IpAddress } from '@ipgate/core';

/**
 * The peer of a connection as the forwarder needs it: parsed and unmapped, and as text. (Core's
 * `socketPeer()` is something else: the client-address strategy that trusts no forwarding header.)
 */
export interface ConnectionPeer {
  readonly address: IpAddress;
  readonly text: string;
}

// Keyed by the socket, so an entry goes with its connection; never by anything the client sends.
const peers = new WeakMap<Socket, ConnectionPeer | null>();

/**
 * The peer of `socket`, parsed once per connection rather than once per request: a keep-alive
 * connection carries many requests from the same peer, and parsing plus printing the address was
 * measurable per request. Undefined when the address is unknown (the connection is gone).
 *
 * @example
 * connectionPeer(req.socket); // { address: IpAddress('203.0.113.9'), text: '203.0.113.9' }
 */
export function connectionPeer(socket: Socket): ConnectionPeer | undefined {
  const known = peers.get(socket);
  if (known !== undefined) return known ?? undefined;
  const address = IpAddress.tryParse(socket.remoteAddress ?? '')?.unmap();
  const peer = address === undefined ? null : { address, text: address.toString() };
  // Only a known address is remembered: an unknown one means the connection is going away.
  if (socket.remoteAddress !== undefined) peers.set(socket, peer);
  return peer ?? undefined;
}
