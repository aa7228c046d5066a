import type { ClientAddressConfig } from '@ipgate/core';

/** A source address the test client binds to (all on the loopback interface). */
export type Source = '127.0.0.2' | '127.0.0.3' | '::1';

/**
 * One row of the decision table that every adapter, `httpGate` and (for rows that read no header)
 * `netGuard` must answer alike.
 */
export interface DecisionCase {
  readonly name: string;
  readonly source: Source;
  readonly headers?: Readonly<Record<string, string>>;
  readonly allow: readonly string[];
  readonly clientAddress?: ClientAddressConfig;
  readonly status: 200 | 403;
}

const XFF = 'x-forwarded-for';

/** The shared table. Servers listen on `::` (dual stack), so IPv4 peers arrive as `::ffff:127.0.0.x`. */
export const decisionCases: readonly DecisionCase[] = [
  { name: 'listed source passes', source: '127.0.0.2', allow: ['127.0.0.2'], status: 200 },
  { name: 'unlisted source is denied', source: '127.0.0.3', allow: ['127.0.0.2'], status: 403 },
  { name: 'a range covers the source', source: '127.0.0.3', allow: ['127.0.0.2-127.0.0.3'], status: 200 },
  {
    name: 'a CIDR covers the source',
    source: '127.0.0.3',
    allow: ['10.0.0.0/8', '127.0.0.0/30'],
    status: 200,
  },
  { name: 'IPv6 loopback listed', source: '::1', allow: ['::1'], status: 200 },
  { name: 'IPv6 loopback not listed', source: '::1', allow: ['127.0.0.1', '::2'], status: 403 },
  {
    name: 'an IPv4-mapped entry matches the IPv4 peer',
    source: '127.0.0.2',
    allow: ['::ffff:127.0.0.2'],
    status: 200,
  },
  { name: 'an empty list denies everyone', source: '127.0.0.2', allow: [], status: 403 },
  {
    name: 'spoofed X-Forwarded-For from an untrusted peer is ignored (deny)',
    source: '127.0.0.3',
    headers: { [XFF]: '127.0.0.2' },
    allow: ['127.0.0.2'],
    status: 403,
  },
  {
    name: 'spoofed X-Forwarded-For from an allowed peer is ignored (allow)',
    source: '127.0.0.2',
    headers: { [XFF]: '198.51.100.1' },
    allow: ['127.0.0.2'],
    status: 200,
  },
  {
    name: 'spoofed Forwarded from an untrusted peer is ignored',
    source: '::1',
    headers: { forwarded: 'for=203.0.113.9' },
    allow: ['203.0.113.0/24'],
    status: 403,
  },
  {
    name: 'a trusted proxy is honoured',
    source: '127.0.0.2',
    headers: { [XFF]: '203.0.113.9' },
    allow: ['203.0.113.0/24'],
    clientAddress: { mode: 'trusted-proxies', trusted: ['127.0.0.2'] },
    status: 200,
  },
  {
    name: 'a trusted proxy forwarding an unlisted client',
    source: '127.0.0.2',
    headers: { [XFF]: '198.51.100.1' },
    allow: ['203.0.113.0/24', '127.0.0.2'],
    clientAddress: { mode: 'trusted-proxies', trusted: ['127.0.0.2'] },
    status: 403,
  },
  {
    name: 'a peer that is not a trusted proxy: its header is ignored',
    source: '127.0.0.3',
    headers: { [XFF]: '203.0.113.9' },
    allow: ['203.0.113.0/24'],
    clientAddress: { mode: 'trusted-proxies', trusted: ['127.0.0.2'] },
    status: 403,
  },
  {
    name: 'rightmost untrusted element is the client, not the leftmost',
    source: '127.0.0.2',
    headers: { [XFF]: '203.0.113.9, 198.51.100.1, 10.0.0.5' },
    allow: ['203.0.113.0/24'],
    clientAddress: { mode: 'trusted-proxies', trusted: ['127.0.0.2', '10.0.0.0/8'] },
    status: 403,
  },
  {
    name: 'garbage at the client position denies',
    source: '127.0.0.2',
    headers: { [XFF]: 'unknown' },
    allow: ['127.0.0.2', '203.0.113.0/24'],
    clientAddress: { mode: 'trusted-proxies', trusted: ['127.0.0.2'] },
    status: 403,
  },
  {
    name: 'Forwarded from a trusted IPv6 proxy, quoted with a port',
    source: '::1',
    headers: { forwarded: 'for="[2001:db8::7]:4711";proto=https' },
    allow: ['2001:db8::/32'],
    clientAddress: { mode: 'trusted-proxies', trusted: ['::1'], header: 'forwarded' },
    status: 200,
  },
  {
    name: 'hop count 1 takes the last element',
    source: '127.0.0.3',
    headers: { [XFF]: '198.51.100.1, 203.0.113.9' },
    allow: ['203.0.113.0/24'],
    clientAddress: { mode: 'hop-count', hops: 1 },
    status: 200,
  },
  {
    name: 'hop count with too few hops denies',
    source: '127.0.0.2',
    headers: { [XFF]: '203.0.113.9' },
    allow: ['203.0.113.0/24', '127.0.0.2'],
    clientAddress: { mode: 'hop-count', hops: 2 },
    status: 403,
  },
];

/** The rows `netGuard` can answer: it has no headers, so only rows that trust none. */
export const socketOnlyCases: readonly DecisionCase[] = decisionCases.filter(
  (c) => c.clientAddress === undefined,
);
