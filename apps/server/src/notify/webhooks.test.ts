import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IpAddress } from '@ipgate/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../demo-server.test-support.js';
import { testNetworkFacts } from '../review/network-facts.test-support.js';
import type { RunningServer } from '../serve.js';
import { sqliteFactory, storeFactories } from '../store/test-stores.test-support.js';
import { forbiddenDestination, literalDestinationProblem } from './destination-guard.js';
import { startWebhookReceiver, until, type WebhookReceiver } from './receivers.test-support.js';
import { WebhookHttpError, WebhookTimeout, webhookTransport } from './webhook-transport.js';

/**
 * Webhooks end to end: a real HTTP receiver verifies every delivery with `standardwebhooks`; a 500
 * is retried with the same webhook-id; each transition has its event; private destinations are
 * refused unless allowed.
 */
const factories = await storeFactories();

describe('the SSRF guard', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['169.254.169.254', 'link-local'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['fd00::1', 'unique local (private)'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
  ])('refuses %s (%s)', (address, purpose) => {
    expect(forbiddenDestination(address)).toBe(purpose);
  });

  it.each([
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
    ['::169.254.169.254', 'IPv4-compatible (deprecated)'],
    ['::ffff:0:127.0.0.1', 'IPv4-translated (SIIT)'],
    ['fec0::1', 'site-local (deprecated)'],
    ['feff:ffff::1', 'site-local (deprecated)'],
  ])('refuses %s, an IPv6 block hosts may still route inwards (%s)', (address, purpose) => {
    expect(forbiddenDestination(address)).toBe(purpose);
  });

  it.each(['93.184.215.14', '2a00:1450:4001:81b::200e', 'fe7f::1', 'fbff::1'])(
    'lets %s through',
    (address) => {
      expect(forbiddenDestination(address)).toBeUndefined();
    },
  );

  it('judges every IPv6 form that embeds an IPv4 address at least as strictly as the address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v4) => {
        const a = IpAddress.fromIPv4Number(v4).toString();
        const mapped = IpAddress.fromWords(6, 0, 0, 0xffff, v4).toString();
        // The mapped form connects to the IPv4 address itself: the same verdict.
        expect(forbiddenDestination(mapped)).toBe(forbiddenDestination(a));
        // Deprecated forms no public endpoint uses: always refused, whatever they embed.
        expect(forbiddenDestination(IpAddress.fromWords(6, 0, 0, 0, v4).toString())).toBeDefined();
        expect(forbiddenDestination(IpAddress.fromWords(6, 0, 0, 0xffff0000, v4).toString())).toBeDefined();
      }),
    );
  });

  it.each([
    ['http://localhost./x', 'loopback'],
    ['http://api.localhost./x', 'loopback'],
    ['http://LOCALHOST.:8080/x', 'loopback'],
    ['http://[::127.0.0.1]/x', 'IPv4-compatible (deprecated)'],
    ['http://0/x', '"this network"'],
  ])('refuses the literal destination %s when the channel is written (%s)', (url, purpose) => {
    expect(literalDestinationProblem(url)).toBe(purpose);
  });

  it('refuses loopback by literal address and by name at connect time; nothing reaches the receiver', async () => {
    const receiver = await startWebhookReceiver();
    const hooks = webhookTransport({ allowPrivate: false });
    try {
      const port = new URL(receiver.url).port;
      for (const url of [receiver.url, `http://localhost:${port}/x`, `http://[::ffff:127.0.0.1]:${port}/x`]) {
        await expect(
          hooks.send({ url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 'msg_1', {}),
        ).rejects.toThrow(/refused to connect .*loopback/);
      }
      expect(receiver.received).toHaveLength(0);
    } finally {
      await hooks.close();
      await receiver.close();
    }
  });

  it('with private destinations allowed, signs a delivery that standardwebhooks verifies', async () => {
    const receiver = await startWebhookReceiver();
    receiver.secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const hooks = webhookTransport({ allowPrivate: true });
    try {
      await hooks.send({ url: receiver.url, secret: receiver.secret }, 'msg_2', {
        type: 'ip.pending',
        data: {},
      });
      expect(receiver.received[0]?.error).toBeUndefined();
      expect(receiver.received[0]?.verified).toEqual({ type: 'ip.pending', data: {} });
      expect(receiver.received[0]?.headers['webhook-id']).toBe('msg_2');
      receiver.secret = 'whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldCBhdCBhbGw=';
      await hooks.send({ url: receiver.url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 'msg_3', {});
      expect(receiver.received[1]?.error).toBeDefined();
    } finally {
      await hooks.close();
      await receiver.close();
    }
  });
});

/**
 * An endpoint that never finishes its answer: `write` is called at the start and on every drain
 * until the connection closes; `closed` resolves when it does.
 */
async function endlessEndpoint(status: number, write: (res: ServerResponse) => void) {
  let closed!: () => void;
  const done = new Promise<void>((resolve) => {
    closed = resolve;
  });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' });
    const more = () => {
      if (!res.destroyed) write(res);
    };
    res.on('close', () => closed());
    res.on('drain', more);
    more();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    closed: done,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('an answer the endpoint never finishes', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('is read up to its start and the connection closed, for a 2xx and for a failure', async () => {
    const chunk = 'x'.repeat(65_536);
    for (const status of [200, 500]) {
      // Writes until the socket's buffer is full, then again on every drain: endless.
      const endpoint = await endlessEndpoint(status, (res) => {
        while (res.write(chunk)) {}
      });
      const hooks = webhookTransport({ allowPrivate: true });
      try {
        const sent = hooks.send({ url: endpoint.url, secret }, 'msg_endless', {});
        if (status === 200) await expect(sent).resolves.toBe('HTTP 200');
        else {
          const e = await sent.catch((x: unknown) => x);
          expect(e).toBeInstanceOf(WebhookHttpError);
          expect((e as Error).message).toBe(`HTTP 500: ${'x'.repeat(200)}`);
        }
        // The transport hung up rather than reading (and buffering) the rest.
        await endpoint.closed;
      } finally {
        await hooks.close();
        await endpoint.close();
      }
    }
  });

  it("a byte at a time, fails as a timeout at the delivery's deadline, not at the end of the drip", async () => {
    // Each byte restarts undici's body timeout; only a deadline for the whole delivery ends it
    // (800 bytes at one per 50 ms would take 40 s).
    const endpoint = await endlessEndpoint(200, (res) => {
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x')), 50);
    });
    const hooks = webhookTransport({ allowPrivate: true, timeoutMs: 1000 });
    try {
      const e = await hooks.send({ url: endpoint.url, secret }, 'msg_drip', {}).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(WebhookTimeout);
      expect((e as Error).message).toBe('no answer within 1 s');
      await endpoint.closed;
    } finally {
      await hooks.close();
      await endpoint.close();
    }
  });
});

describe.each(factories.map((f) => [f.name, f] as const))(
  'webhooks of a running server on %s',
  (_name, factory) => {
    let demo: DemoServer;
    let server: RunningServer;
    let receiver: WebhookReceiver;
    let admin: Record<string, string>;
    let tenantId: string;
    const call: DemoServer['call'] = (url, options) => demo.call(url, options);

    beforeAll(async () => {
      if (factory.skip) return;
      receiver = await startWebhookReceiver();
      demo = await startDemoServer(
        factory,
        { webhookAllowPrivate: true, notifyIntervalMs: '50ms', notifyRetryBaseMs: '100ms' },
        { networkFacts: testNetworkFacts({ '127.0.0.0/24': { asn: 64500, country: 'NL' } }) },
      );
      ({ server, owner: admin, tenantId } = demo);
    }, 30_000);

    afterAll(async () => {
      await demo?.close();
      await receiver?.close();
    });

    it.skipIf(factory.skip)(
      'ip.pending is signed, retried after a 500 with the same id, and logged',
      async () => {
        const created = await call(`${server.adminUrl}/v1/tenants/${tenantId}/notification-channels`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ kind: 'webhook', name: 'ops', target: receiver.url }),
        });
        expect(created.status).toBe(201);
        const channel = JSON.parse(created.text) as { id: string; secret: string; events: string[] };
        expect(channel.secret).toMatch(/^whsec_/);
        expect(channel.events).toEqual(['ip.pending', 'ip.authorized', 'ip.rejected', 'review.stopped']);
        const again = await call(
          `${server.adminUrl}/v1/tenants/${tenantId}/notification-channels/${channel.id}`,
          { headers: admin },
        );
        expect(again.text).not.toContain(channel.secret);
        receiver.secret = channel.secret;
        receiver.answers = [500];

        const denied = await call(`${server.gatewayUrl}/hello`, {
          from: '127.0.0.6',
          headers: { authorization: `Bearer ${server.demoKeySecret}` },
        });
        expect(denied.status).toBe(403);
        const [first, second] = await receiver.waitFor(2);
        expect(first?.status).toBe(500);
        expect(second?.status).toBe(204);
        expect(first?.headers['webhook-id']).toBe(second?.headers['webhook-id']);
        for (const r of [first, second]) expect(r?.error).toBeUndefined();
        const event = second?.verified as {
          type: string;
          data: {
            observedIp: { address: string };
            key: { name: string };
            actions: Record<string, string>;
            assessment: { verdict: string; facts: { asn: number }; reasons: string[] } | null;
          };
        };
        expect(event.type).toBe('ip.pending');
        expect(event.data.observedIp.address).toBe('127.0.0.6');
        expect(event.data.key.name).toBe('demo key');
        // The demo tenant is in manual: its advice is stored with the row's first write and sent.
        expect(event.data.assessment).toMatchObject({ verdict: 'trusted', facts: { asn: 64500 } });
        expect(event.data.assessment?.reasons[0]).toMatch(/^same-network \+60/);
        expect(event.data.actions['authorize']).toMatch(/\/review\/.+\/authorize\/ipg_rev_/);
        expect(second?.body).not.toContain(server.demoKeySecret);

        await until(
          async () =>
            JSON.parse(
              (
                await call(
                  `${server.adminUrl}/v1/tenants/${tenantId}/notification-deliveries?channelId=${channel.id}`,
                  { headers: admin },
                )
              ).text,
            ).items[0]?.status === 'sent',
          5000,
          'the delivery to be recorded as sent',
        );
        const log = JSON.parse(
          (
            await call(
              `${server.adminUrl}/v1/tenants/${tenantId}/notification-deliveries?channelId=${channel.id}`,
              { headers: admin },
            )
          ).text,
        ).items[0] as { id: string; attempts: number; log: { ok: boolean; detail: string }[] };
        expect(log.id).toBe(first?.headers['webhook-id']);
        expect(log.attempts).toBe(2);
        expect(log.log.map((a) => a.ok)).toEqual([false, true]);
        expect(log.log[0]?.detail).toMatch(/HTTP 500/);
      },
      30_000,
    );

    it.skipIf(factory.skip)(
      'authorize and stop reviewing send ip.authorized and review.stopped',
      async () => {
        const list = JSON.parse(
          (
            await call(`${server.adminUrl}/v1/tenants/${tenantId}/observed-ips?status=pending`, {
              headers: admin,
            })
          ).text,
        ) as {
          items: { id: string; address: string }[];
        };
        const obs = list.items.find((o) => o.address === '127.0.0.6');
        expect(
          (
            await call(`${server.adminUrl}/v1/tenants/${tenantId}/observed-ips/${obs?.id}/authorize`, {
              method: 'POST',
              headers: admin,
              body: '{}',
            })
          ).status,
        ).toBe(200);
        const off = await call(`${server.adminUrl}/v1/tenants/${tenantId}/ip-restriction`, {
          method: 'PATCH',
          headers: admin,
          body: JSON.stringify({ mode: 'off' }),
        });
        expect(off.status).toBe(200);
        await receiver.waitFor(4);
        const types = receiver.received.slice(2).map((r) => (r.verified as { type: string }).type);
        expect(types.sort()).toEqual(['ip.authorized', 'review.stopped']);
        expect(receiver.received.every((r) => r.error === undefined)).toBe(true);
      },
      30_000,
    );
  },
);

describe('webhook channels when private destinations are not allowed', () => {
  let demo: DemoServer;
  beforeAll(async () => {
    demo = await startDemoServer(sqliteFactory());
  });
  afterAll(async () => {
    await demo?.close();
  });

  it.each([
    'http://127.0.0.1:9/x',
    'http://localhost/x',
    'http://[::1]/x',
    'http://169.254.169.254/latest',
    'http://10.0.0.5/',
  ])('refuses %s with a message naming the field', async (target) => {
    const r = await demo.admin('POST', `/v1/tenants/${demo.tenantId}/notification-channels`, {
      kind: 'webhook',
      name: 'x',
      target,
    });
    expect(r.status).toBe(400);
    const body = r.json as { error: { field: string; hint: string } };
    expect(body.error.field).toBe('target');
    expect(body.error.hint).toContain('--webhook-allow-private');
  });
});
