import { freePort } from '@ipgate/test-support/sockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store/store.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { outboxTransport, smtpTransport } from './email-transport.js';
import { type NotificationSender, startNotificationSender } from './notification-sender.js';
import { startSmtpReceiver } from './receivers.test-support.js';
import { DEFAULT_RETRY, retryAt } from './retry-backoff.js';
import { type WebhookTransport, webhookTransport } from './webhook-transport.js';

/**
 * The background sender on real stores: the digest that replaces single emails past the threshold,
 * and retries with backoff while the SMTP server is down, until it comes back.
 */
const factories = await storeFactories();
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe('retryAt', () => {
  it('doubles from the base up to the ceiling, then gives up', () => {
    const t0 = new Date(0);
    const policy = { baseMs: 1000, maxMs: 5000, maxAttempts: 5 };
    expect([1, 2, 3, 4].map((n) => retryAt(t0, n, policy)?.getTime())).toEqual([1000, 2000, 4000, 5000]);
    expect(retryAt(t0, 5, policy)).toBeNull();
    expect(retryAt(t0, 1, DEFAULT_RETRY)?.getTime()).toBe(30_000);
  });
});

describe.each(factories.map((f) => [f.name, f] as const))(
  'the notification sender on %s',
  (_name, factory) => {
    let store: Store;
    const actor = { actor: 'test' };

    beforeAll(async () => {
      if (!factory.skip) store = await factory.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    async function tenantWithChannel(name: string) {
      const tenantId = (await store.createTenant({ name }, actor)).id;
      const keyId = (await store.createKey(tenantId, { name: 'ci' }, actor)).key.id;
      const { channel } = await store.notifications.createChannel(
        tenantId,
        { kind: 'email', name: 'owner', target: `owner@${name.toLowerCase()}.example.com` },
        actor,
      );
      const pending = (addresses: string[]) =>
        store.recordObservations(
          addresses.map((address) => ({
            tenantId,
            keyId,
            address,
            firstAt: new Date(),
            lastAt: new Date(),
            count: 1,
            status: 'pending' as const,
          })),
        );
      return { tenantId, channelId: channel.id, pending };
    }

    it.skipIf(factory.skip)('past the threshold, emails of the hour become one digest', async () => {
      const t = await tenantWithChannel('Digest');
      const sender = startNotificationSender({
        store,
        email: outboxTransport(store.notifications, quiet),
        webhooks: webhookTransport({ allowPrivate: false }),
        logger: quiet,
        publicUrl: 'https://ipgate.example.com',
        linkTtlMs: 3600_000,
        intervalMs: 60_000,
        digestThreshold: 2,
      });
      try {
        await t.pending(['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5']);
        await sender.runOnce();
        const outbox = (await store.notifications.listOutbox(t.tenantId)).items;
        expect(outbox).toHaveLength(3);
        const digest = outbox.find((m) => m.subject.includes('3 new addresses'));
        expect(digest).toBeDefined();
        for (const a of ['203.0.113.3', '203.0.113.4', '203.0.113.5']) expect(digest?.text).toContain(a);
        expect(digest?.text.match(/\/authorize\/ipg_rev_/g)).toHaveLength(3);
        const sent = (await store.notifications.listDeliveries(t.tenantId)).items;
        expect(sent.every((d) => d.status === 'sent')).toBe(true);
        expect(new Set(sent.filter((d) => d.digestId !== null).map((d) => d.digestId)).size).toBe(1);

        // More within the quarter hour wait for the next digest, without counting an attempt.
        await t.pending(['203.0.113.6', '203.0.113.7']);
        await sender.runOnce();
        expect((await store.notifications.listOutbox(t.tenantId)).items).toHaveLength(3);
        const held = (await store.notifications.listDeliveries(t.tenantId, { status: 'queued' })).items;
        expect(held).toHaveLength(2);
        expect(
          held.every((d) => d.attempts === 0 && (d.nextAttemptAt?.getTime() ?? 0) > Date.now() + 10 * 60_000),
        ).toBe(true);
      } finally {
        await sender.close();
      }
    });

    it.skipIf(factory.skip)(
      'retries with backoff while SMTP is down, marks the channel failing, then delivers',
      async () => {
        const t = await tenantWithChannel('Retry');
        const port = await freePort();
        const options = {
          store,
          webhooks: webhookTransport({ allowPrivate: false }),
          logger: quiet,
          publicUrl: 'https://ipgate.example.com',
          linkTtlMs: 3600_000,
          intervalMs: 60_000,
          digestThreshold: 10,
          retry: { baseMs: 20, maxMs: 100, maxAttempts: 10 },
        };
        const down = startNotificationSender({
          ...options,
          email: smtpTransport({
            url: `smtp://127.0.0.1:${port}`,
            from: 'ipgate@example.com',
            requireTls: false,
            tlsRejectUnauthorized: true,
          }),
        });
        await t.pending(['198.51.100.77']);
        for (let i = 0; i < 3; i++) {
          await down.runOnce();
          await new Promise((r) => setTimeout(r, 120));
        }
        await down.close();
        const [delivery] = (await store.notifications.listDeliveries(t.tenantId)).items;
        expect(delivery?.status).toBe('queued');
        expect(delivery?.attempts).toBe(3);
        expect(delivery?.log.map((a) => a.ok)).toEqual([false, false, false]);
        expect(delivery?.lastError).toMatch(/ECONNREFUSED|connect/i);
        const failing = await store.notifications.getChannel(t.tenantId, t.channelId);
        expect(failing.failing).toBe(true);
        expect(failing.lastError).toMatch(/ECONNREFUSED|connect/i);

        const smtp = await startSmtpReceiver(port);
        const up = startNotificationSender({
          ...options,
          email: smtpTransport({
            url: smtp.url,
            from: 'ipgate@example.com',
            requireTls: false,
            tlsRejectUnauthorized: true,
          }),
        });
        try {
          await up.runOnce();
          const [mail] = await smtp.waitFor(1);
          expect(mail?.subject).toContain('198.51.100.77');
          const [after] = (await store.notifications.listDeliveries(t.tenantId)).items;
          expect(after?.status).toBe('sent');
          expect(after?.log.map((a) => a.ok)).toEqual([false, false, false, true]);
          expect((await store.notifications.getChannel(t.tenantId, t.channelId)).failing).toBe(false);
        } finally {
          await up.close();
          await smtp.close();
        }
      },
    );

    it.skipIf(factory.skip)(
      'a round starts no send past half its lease: another node sends the rest, each delivery once',
      async () => {
        const tenantId = (await store.createTenant({ name: 'Lease' }, actor)).id;
        const keyId = (await store.createKey(tenantId, { name: 'ci' }, actor)).key.id;
        await store.notifications.createChannel(
          tenantId,
          { kind: 'webhook', name: 'slow', target: 'https://hooks.example.com/x', events: ['ip.pending'] },
          actor,
        );
        const addresses = ['203.0.113.61', '203.0.113.62', '203.0.113.63', '203.0.113.64', '203.0.113.65'];
        await store.recordObservations(
          addresses.map((address) => ({
            tenantId,
            keyId,
            address,
            firstAt: new Date(),
            lastAt: new Date(),
            count: 1,
            status: 'pending' as const,
          })),
        );
        // The leases' clock: each delivery to this slow endpoint takes 0.4 s of a 1 s lease.
        let clock = Date.now();
        const sent: { readonly by: string; readonly id: string }[] = [];
        let nodeB: NotificationSender | undefined;
        const slowEndpoint = (by: string): WebhookTransport => ({
          async send(_target, messageId) {
            sent.push({ by, id: messageId });
            clock += 400;
            // Node A's third send would end past its lease: node B's round comes then, and may
            // take every delivery whose lease has lapsed.
            if (by === 'A' && sent.filter((s) => s.by === 'A').length === 3) await nodeB?.runOnce();
            return 'HTTP 204';
          },
          close: async () => {},
        });
        const common = {
          store,
          email: outboxTransport(store.notifications, quiet),
          logger: quiet,
          publicUrl: 'https://ipgate.example.com',
          linkTtlMs: 3600_000,
          intervalMs: 60_000,
          digestThreshold: 10,
          leaseMs: 1000,
          now: () => clock,
        };
        const nodeA = startNotificationSender({ ...common, webhooks: slowEndpoint('A') });
        nodeB = startNotificationSender({ ...common, webhooks: slowEndpoint('B') });
        try {
          await nodeA.runOnce();
          // What A handed back goes out in B's rounds (each also stops at half its lease).
          for (let round = 0; round < addresses.length; round++) await nodeB.runOnce();
          const deliveries = (await store.notifications.listDeliveries(tenantId)).items;
          expect(deliveries).toHaveLength(addresses.length);
          expect(deliveries.every((d) => d.status === 'sent')).toBe(true);
          // Each delivery was sent exactly once, by one node; none lost an attempt to a hand-back.
          expect(sent.map((s) => s.id).sort()).toEqual(deliveries.map((d) => d.id).sort());
          expect(deliveries.every((d) => d.attempts === 1)).toBe(true);
          expect(new Set(sent.map((s) => s.by))).toEqual(new Set(['A', 'B']));
        } finally {
          await nodeA.close();
          await nodeB.close();
        }
      },
    );

    it.skipIf(factory.skip)('an address reviewed before its email went out is skipped', async () => {
      const t = await tenantWithChannel('Skip');
      await t.pending(['192.0.2.44']);
      const [obs] = (await store.listObservedIps(t.tenantId)).items;
      await store.rejectObservedIp(t.tenantId, obs?.id as string, {}, actor);
      const sender = startNotificationSender({
        store,
        email: outboxTransport(store.notifications, quiet),
        webhooks: webhookTransport({ allowPrivate: false }),
        logger: quiet,
        publicUrl: 'https://ipgate.example.com',
        linkTtlMs: 3600_000,
        intervalMs: 60_000,
        digestThreshold: 10,
      });
      await sender.runOnce();
      await sender.close();
      expect((await store.notifications.listOutbox(t.tenantId)).items).toHaveLength(0);
      const [d] = (await store.notifications.listDeliveries(t.tenantId)).items;
      expect(d?.status).toBe('skipped');
    });
  },
);
