import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@ipgate/test-support/sockets';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AdminFixture, bearer, openAdminFixture } from '../admin/admin-fixture.test-support.js';
import { buildAdminApp } from '../admin/app.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { smtpTransport } from './email-transport.js';
import {
  type SmtpReceiver,
  startSmtpReceiver,
  startWebhookReceiver,
  type WebhookReceiver,
} from './receivers.test-support.js';

/**
 * The test send of a channel through the management API, on real stores and real receivers: an SMTP
 * server (smtp-server + mailparser) gets the test email, an HTTP receiver verifies the `channel.test`
 * webhook with standardwebhooks; a 500, a closed port, a silent endpoint, an SMTP refusal and a
 * private destination each answer `failed` with their reason; the queue and the review are left
 * alone; the channel is throttled, editor-only and audited.
 */
const factories = await storeFactories();

interface TestAnswer {
  channelId: string;
  result: 'ok' | 'failed';
  reason: string | null;
  detail: string;
  httpStatus: number | null;
  via: string;
  durationMs: number;
  messageId: string;
  testedAt: string;
  failing: boolean;
}

/** Listens on 127.0.0.1 and never answers (for the deadline). */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe.each(factories.map((f) => [f.name, f] as const))(
  'test send of a channel on %s',
  (_name, factory) => {
    let f: AdminFixture;
    let smtp: SmtpReceiver;
    let hooks: WebhookReceiver;
    let refusing: SMTPServer;
    let refusingUrl: string;
    // The throttle's clock: each test starts a full interval after the last one.
    const base = Date.now();
    let offset = 0;
    const now = () => base + offset;

    const send = (tenant: 'a' | 'b', channelId: string, secret?: string) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f[tenant].tenantId}/notification-channels/${channelId}/test`,
        headers: bearer(secret ?? f.tokens[tenant].editor),
      });
    const channel = async (tenant: 'a' | 'b', channelId: string) =>
      (
        await f.app.inject({
          url: `/v1/tenants/${f[tenant].tenantId}/notification-channels/${channelId}`,
          headers: bearer(f.tokens[tenant].viewer),
        })
      ).json() as { failing: boolean; consecutiveFailures: number; lastSuccessAt: string | null };
    const addWebhook = async (target: string) => {
      const r = await f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.a.tenantId}/notification-channels`,
        headers: bearer(f.tokens.a.editor),
        payload: { kind: 'webhook', name: 'ops', target },
      });
      expect(r.statusCode, r.body).toBe(201);
      return r.json() as { id: string; secret: string };
    };

    beforeAll(async () => {
      if (factory.skip) return;
      smtp = await startSmtpReceiver();
      hooks = await startWebhookReceiver();
      refusing = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onRcptTo: (_address, _session, callback) =>
          callback(Object.assign(new Error('5.1.1 no such mailbox here'), { responseCode: 550 })),
      });
      await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
      refusingUrl = `smtp://127.0.0.1:${((refusing as unknown as { server: Server }).server.address() as AddressInfo).port}`;
      f = await openAdminFixture(factory, {
        app: {
          review: { webhookAllowPrivate: true },
          channelTest: {
            email: smtpTransport({
              url: smtp.url,
              from: 'ipgate <ipgate@example.com>',
              requireTls: false,
              tlsRejectUnauthorized: true,
            }),
            now,
          },
        },
      });
    }, 30_000);

    afterAll(async () => {
      await f?.close();
      await smtp?.close();
      await hooks?.close();
      await new Promise<void>((r) => (refusing === undefined ? r() : refusing.close(() => r())));
    });

    beforeEach(() => {
      offset += 10_001;
    });

    it.skipIf(factory.skip)(
      'an email channel: the SMTP server receives a marked test email; the queue and the review are untouched; audited',
      async () => {
        const deliveriesBefore = await f.store.notifications.listDeliveries(f.a.tenantId);
        const r = await send('a', f.a.channelId);
        expect(r.statusCode, r.body).toBe(200);
        const answer = r.json() as TestAnswer;
        expect(answer).toMatchObject({
          channelId: f.a.channelId,
          result: 'ok',
          reason: null,
          via: 'smtp',
          httpStatus: null,
          failing: false,
        });
        expect(answer.detail).toMatch(/^SMTP 250/);
        expect(answer.messageId).toMatch(/^tst_/);
        expect(answer.durationMs).toBeGreaterThanOrEqual(0);

        const [mail] = await smtp.waitFor(1);
        expect(mail?.subject).toBe('[ipgate] Test message: channel "owner" of a');
        expect(mail?.text).toMatch(/^This is a test message from ipgate/);
        expect(mail?.text).toContain(answer.messageId);
        expect(mail?.to).toMatchObject({ text: 'owner@a.example.com' });
        expect(mail?.messageId).toBe(`<${answer.messageId}@example.com>`);
        expect(mail?.headers.get('auto-submitted')).toBe('auto-generated');

        // Outside the queue: the deliveries are the ones there were; the pending address is still pending.
        const deliveriesAfter = await f.store.notifications.listDeliveries(f.a.tenantId);
        expect(deliveriesAfter.items.map((d) => [d.id, d.status, d.attempts])).toEqual(
          deliveriesBefore.items.map((d) => [d.id, d.status, d.attempts]),
        );
        const observed = await f.store.listObservedIps(f.a.tenantId);
        expect(observed.items.map((o) => o.status)).toEqual(['pending']);

        const audit = await f.app.inject({
          url: `/v1/tenants/${f.a.tenantId}/audit-events?action=tenant.notification_channel.tested`,
          headers: bearer(f.tokens.a.viewer),
        });
        const event = (audit.json() as { items: { actor: string; targetId: string; after: unknown }[] })
          .items[0];
        expect(event?.targetId).toBe(f.a.channelId);
        expect(event?.actor).toMatch(/^token:prn_/);
        expect(event?.after).toMatchObject({
          result: 'ok',
          via: 'smtp',
          messageId: answer.messageId,
          channel: { id: f.a.channelId, kind: 'email' },
        });
      },
      30_000,
    );

    it.skipIf(factory.skip)(
      'one test per channel every 10 s: the next answers 429 with Retry-After and sends nothing',
      async () => {
        const sent = smtp.messages.length;
        expect((await send('a', f.a.channelId)).statusCode).toBe(200);
        await smtp.waitFor(sent + 1);
        offset += 3_000;
        const again = await send('a', f.a.channelId);
        expect(again.statusCode).toBe(429);
        expect(again.headers['retry-after']).toBe('7');
        expect(again.json().error.code).toBe('IPG_CHANNEL_TEST_THROTTLED');
        expect(again.json().error.hint).toMatch(/Wait 7 s/);
        // Another channel is not held up by this one's turn.
        expect((await send('b', f.b.channelId)).statusCode).toBe(200);
        await smtp.waitFor(sent + 2);
        offset += 7_000;
        expect((await send('a', f.a.channelId)).statusCode).toBe(200);
        await smtp.waitFor(sent + 3);
        expect(smtp.messages).toHaveLength(sent + 3);
      },
      30_000,
    );

    it.skipIf(factory.skip)(
      'a viewer may not test (403), another tenant’s channel is not found (404); neither uses the turn',
      async () => {
        const viewer = await send('a', f.a.channelId, f.tokens.a.viewer);
        expect(viewer.statusCode).toBe(403);
        expect(viewer.json().error.code).toBe('IPG_ROLE_FORBIDDEN');
        const foreign = await send('a', f.b.channelId);
        expect(foreign.statusCode).toBe(404);
        expect((await send('a', f.a.channelId)).statusCode).toBe(200);
      },
      30_000,
    );

    it.skipIf(factory.skip)(
      'a webhook channel: a signed channel.test event that standardwebhooks verifies',
      async () => {
        const created = await addWebhook(hooks.url);
        hooks.secret = created.secret;
        const before = hooks.received.length;
        const r = await send('a', created.id);
        expect(r.statusCode, r.body).toBe(200);
        const answer = r.json() as TestAnswer;
        expect(answer).toMatchObject({ result: 'ok', via: 'webhook', httpStatus: 204, detail: 'HTTP 204' });
        const got = hooks.received[before];
        expect(got?.error).toBeUndefined();
        expect(got?.headers['webhook-id']).toBe(answer.messageId);
        expect(got?.verified).toMatchObject({
          type: 'channel.test',
          data: { test: true, tenantId: f.a.tenantId, channel: { id: created.id, name: 'ops' } },
        });
        expect((got?.verified as { data?: { message?: string } } | undefined)?.data?.message).toMatch(
          /test message/,
        );
      },
      30_000,
    );

    it.skipIf(factory.skip)(
      'an endpoint answering 500, and a closed port, give failed with the reason; a failure does not mark the channel failing',
      async () => {
        const created = await addWebhook(hooks.url);
        hooks.secret = created.secret;
        for (let i = 0; i < 3; i++) {
          hooks.answers = [500];
          const r = await send('a', created.id);
          expect(r.statusCode, r.body).toBe(200);
          expect(r.json()).toMatchObject({
            result: 'failed',
            reason: 'http-status',
            httpStatus: 500,
            detail: 'HTTP 500',
            failing: false,
          });
          offset += 10_001;
        }
        expect(await channel('a', created.id)).toMatchObject({ failing: false, consecutiveFailures: 0 });

        const closed = await addWebhook(`http://127.0.0.1:${await freePort()}/hook`);
        const r = await send('a', closed.id);
        expect(r.json()).toMatchObject({ result: 'failed', reason: 'connection', httpStatus: null });
        expect((r.json() as TestAnswer).detail).toMatch(/ECONNREFUSED/);
      },
      30_000,
    );

    it.skipIf(factory.skip)('a success clears failing', async () => {
      // Three failed attempts of the queue's own delivery make tenant B's email channel failing.
      for (let i = 0; i < 3; i++) {
        const due = await f.store.notifications.claimDueDeliveries(new Date(Date.now() + 3_600_000), 50, 1);
        const mine = due.filter((d) => d.channel.id === f.b.channelId);
        expect(mine.length).toBeGreaterThan(0);
        for (const d of mine) {
          await f.store.notifications.completeDelivery(d.id, {
            ok: false,
            detail: 'SMTP 451 try later',
            durationMs: 1,
            retryAt: new Date(),
          });
        }
      }
      expect(await channel('b', f.b.channelId)).toMatchObject({ failing: true });
      const r = await send('b', f.b.channelId);
      expect(r.json()).toMatchObject({ result: 'ok', failing: false });
      const after = await channel('b', f.b.channelId);
      expect(after).toMatchObject({ failing: false, consecutiveFailures: 0 });
      expect(after.lastSuccessAt).toBe((r.json() as TestAnswer).testedAt);
    });

    it.skipIf(factory.skip)(
      'a private destination is refused unless allowed; a silent endpoint times out; an SMTP refusal is an smtp failure; without SMTP the outbox keeps it',
      async () => {
        // A channel written while private destinations were allowed, tested by a server that does not allow them.
        const { channel: hook } = await f.store.notifications.createChannel(
          f.a.tenantId,
          { kind: 'webhook', name: 'inside', target: hooks.url },
          { actor: 'test' },
        );
        const silent = await silentServer();
        const { channel: quiet } = await f.store.notifications.createChannel(
          f.a.tenantId,
          { kind: 'webhook', name: 'quiet', target: silent.url },
          { actor: 'test' },
        );
        const strict = await buildAdminApp({ store: f.store, engine: f.engine });
        const slow = await buildAdminApp({
          store: f.store,
          engine: f.engine,
          review: { webhookAllowPrivate: true },
          channelTest: { timeoutMs: 300 },
        });
        const picky = await buildAdminApp({
          store: f.store,
          engine: f.engine,
          channelTest: {
            email: smtpTransport({
              url: refusingUrl,
              from: 'ipgate <ipgate@example.com>',
              requireTls: false,
              tlsRejectUnauthorized: true,
            }),
          },
        });
        const post = (app: typeof strict, channelId: string) =>
          app.inject({
            method: 'POST',
            url: `/v1/tenants/${f.a.tenantId}/notification-channels/${channelId}/test`,
            headers: bearer(f.tokens.a.editor),
          });
        try {
          const before = hooks.received.length;
          const refused = await post(strict, hook.id);
          expect(refused.statusCode, refused.body).toBe(200);
          expect(refused.json()).toMatchObject({ result: 'failed', reason: 'destination-refused' });
          expect((refused.json() as TestAnswer).detail).toMatch(/loopback.*--webhook-allow-private/);
          expect(hooks.received).toHaveLength(before);

          const late = await post(slow, quiet.id);
          expect(late.json()).toMatchObject({ result: 'failed', reason: 'timeout' });
          expect((late.json() as TestAnswer).detail).toMatch(/no answer within 0.3 s|Timeout/);

          const rejected = await post(picky, f.a.channelId);
          expect(rejected.json()).toMatchObject({ result: 'failed', reason: 'smtp', via: 'smtp' });
          expect((rejected.json() as TestAnswer).detail).toMatch(/550/);

          // `strict` has no SMTP server: the outbox keeps the test email, readable like any other.
          const kept = await post(strict, f.a.channelId);
          expect(kept.json()).toMatchObject({ result: 'ok', via: 'outbox' });
          const outbox = await f.store.notifications.listOutbox(f.a.tenantId);
          expect(outbox.items[0]?.subject).toBe('[ipgate] Test message: channel "owner" of a');
          expect(outbox.items[0]?.channelId).toBe(f.a.channelId);
        } finally {
          await strict.close();
          await slow.close();
          await picky.close();
          await silent.close();
        }
      },
      30_000,
    );
  },
);
