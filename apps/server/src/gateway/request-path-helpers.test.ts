import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectionPeer } from './connection-peer.js';
import { latencyHistogram } from './latency-histogram.js';
import { outcomeCounter } from './outcome-counter.js';
import { createRequestIds } from './request-ids.js';

describe('createRequestIds', () => {
  it('gives req_ + 16 base64url characters, all different, across many refills of the pool', () => {
    const ids = createRequestIds();
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const id = ids.next();
      expect(id).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5_000);
  });

  it('does not share a pool between sources', () => {
    const a = createRequestIds();
    const b = createRequestIds();
    expect(a.next()).not.toBe(b.next());
  });

  it('starts with the time it was made, in characters that sort like the numbers', () => {
    const before = Date.now();
    const id = createRequestIds().next();
    const after = Date.now();
    const ms = decode(id.slice(4, 11));
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('sorts by the time it was made, byte by byte, across milliseconds and sources', () => {
    const now = vi.spyOn(Date, 'now');
    try {
      const a = createRequestIds();
      const b = createRequestIds();
      const made: string[] = [];
      // 63 → 64 and 4095 → 4096 carry into the next character: the order must survive them.
      for (const ms of [1_800_000_000_063, 1_800_000_000_064, 1_800_000_004_095, 1_800_000_004_096]) {
        now.mockReturnValue(ms);
        made.push(a.next(), b.next());
      }
      for (let i = 2; i < made.length; i++) {
        expect(Buffer.compare(Buffer.from(made[i - 2] as string), Buffer.from(made[i] as string))).toBe(-1);
      }
      expect(decode((made[7] as string).slice(4, 11))).toBe(1_800_000_004_096);
    } finally {
      now.mockRestore();
    }
  });

  it('grows within one millisecond too, but where its counter goes round', () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
    try {
      const ids = createRequestIds();
      let previous = ids.next();
      for (let i = 0; i < 3_000; i++) {
        const id = ids.next();
        // The counter (3 characters after the time) wraps to '---' once every 262,144 ids.
        if (id.slice(11, 14) !== '---') expect(id > previous).toBe(true);
        previous = id;
      }
    } finally {
      now.mockRestore();
    }
  });
});

/** The number a run of sorted base64url characters stands for. */
function decode(chars: string): number {
  const alphabet = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
  let n = 0;
  for (const c of chars) n = n * 64 + alphabet.indexOf(c);
  return n;
}

describe('outcomeCounter', () => {
  it('hands its counts to prom-client when the registry is read, and only the new ones next time', async () => {
    const registry = new Registry();
    const requests = outcomeCounter(registry);
    requests.add('allow', 'complete', 'allowed');
    requests.add('allow', 'complete', 'allowed');
    requests.add('deny', 'tenant-restriction', 'tenant-ip-not-listed');
    let text = await registry.metrics();
    expect(text).toContain(
      'ipgate_gateway_requests_total{decision="allow",stage="complete",reason="allowed"} 2',
    );
    const denied =
      'ipgate_gateway_requests_total{decision="deny",stage="tenant-restriction",reason="tenant-ip-not-listed"} 1';
    expect(text).toContain(denied);
    requests.add('allow', 'complete', 'allowed');
    text = await registry.metrics();
    expect(text).toContain(
      'ipgate_gateway_requests_total{decision="allow",stage="complete",reason="allowed"} 3',
    );
    expect(text).toContain(denied);
  });
});

describe('latencyHistogram', () => {
  it('exposes cumulative buckets, sum and count per decision', async () => {
    const registry = new Registry();
    const latency = latencyHistogram(registry);
    latency.observe('allow', 0.0004);
    latency.observe('allow', 0.002);
    latency.observe('allow', 20);
    latency.observe('deny', 0.0001);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE ipgate_gateway_request_duration_seconds histogram');
    expect(text).toContain('ipgate_gateway_request_duration_seconds_bucket{le="0.0005",decision="allow"} 1');
    expect(text).toContain('ipgate_gateway_request_duration_seconds_bucket{le="0.0025",decision="allow"} 2');
    expect(text).toContain('ipgate_gateway_request_duration_seconds_bucket{le="10",decision="allow"} 2');
    expect(text).toContain('ipgate_gateway_request_duration_seconds_bucket{le="+Inf",decision="allow"} 3');
    expect(text).toContain('ipgate_gateway_request_duration_seconds_count{decision="allow"} 3');
    expect(text).toMatch(/ipgate_gateway_request_duration_seconds_sum\{decision="allow"\} 20\.002/);
    expect(text).toContain('ipgate_gateway_request_duration_seconds_count{decision="deny"} 1');
  });
});

describe('connectionPeer', () => {
  let server: Server | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('parses the peer once per connection, unmapped, and gives the same answer for every request on it', async () => {
    const seen: unknown[] = [];
    server = createServer((req, res) => {
      seen.push(connectionPeer(req.socket));
      res.end();
    });
    // Dual-stack: an IPv4 client arrives as ::ffff:127.0.0.1 and must be seen as 127.0.0.1.
    await new Promise<void>((resolve) => server?.listen(0, '::', resolve));
    const { port } = server.address() as AddressInfo;
    client = connect(port, '127.0.0.1');
    await new Promise((resolve) => client?.once('connect', resolve));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => {
      const wait = () => (seen.length === 2 ? resolve() : setTimeout(wait, 5));
      wait();
    });
    const [first, second] = seen as { address: { family: number }; text: string }[];
    expect(first?.text).toBe('127.0.0.1');
    expect(first?.address.family).toBe(4);
    expect(second).toBe(first);
  });
});
