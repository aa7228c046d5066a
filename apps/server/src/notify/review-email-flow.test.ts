import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../demo-server.test-support.js';
import { testNetworkFacts } from '../review/network-facts.test-support.js';
import type { RunningServer } from '../serve.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { type SmtpReceiver, startSmtpReceiver, until } from './receivers.test-support.js';

/**
 * The owner's side of review, end to end: a denied call from a real source address (127.0.0.x)
 * makes an email that a real SMTP server receives; the test follows its links with a real HTTP
 * client. GET and HEAD change nothing, a POST acts once, bad links change nothing, and the gateway
 * enforces the decision on the very next request.
 */
const factories = await storeFactories();

function linksOf(mail: ParsedMail): { authorize: string; reject: string; stop: string } {
  const text = mail.text ?? '';
  const find = (action: string) => {
    const m = new RegExp(`(http://\\S+/review/\\S+/${action}/ipg_rev_[A-Za-z0-9_-]+)`).exec(text);
    if (m === null) throw new Error(`no ${action} link in:\n${text}`);
    return m[1] as string;
  };
  return { authorize: find('authorize'), reject: find('reject-and-rotate'), stop: find('stop-reviewing') };
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(factories.map((f) => [f.name, f] as const))(
  'one-click review by email on %s',
  (_name, factory) => {
    let demo: DemoServer;
    let server: RunningServer;
    let smtp: SmtpReceiver;
    let admin: Record<string, string>;
    let tenantId: string;
    const call: DemoServer['call'] = (url, options) => demo.call(url, options);

    beforeAll(async () => {
      if (factory.skip) return;
      smtp = await startSmtpReceiver();
      demo = await startDemoServer(
        factory,
        { smtpUrl: smtp.url, notifyIntervalMs: '50ms' },
        // 127.0.0.0/24 as a public network, so the manual mode's advice has facts to show.
        {
          networkFacts: testNetworkFacts({
            '127.0.0.0/24': { asn: 64500, asnName: 'Test Net', country: 'NL' },
          }),
        },
      );
      ({ server, owner: admin, tenantId } = demo);
    }, 30_000);

    afterAll(async () => {
      await demo?.close();
      await smtp?.close();
    });

    const key = () => ({ authorization: `Bearer ${server.demoKeySecret}` });
    const observed = async (address: string) => {
      const r = await call(`${server.adminUrl}/v1/tenants/${tenantId}/observed-ips`, { headers: admin });
      return (JSON.parse(r.text) as { items: { id: string; address: string; status: string }[] }).items.find(
        (o) => o.address === address,
      );
    };

    it.skipIf(factory.skip)(
      'a denied address gets one email with the facts and three links, never the secret',
      async () => {
        const denied = await call(`${server.gatewayUrl}/hello`, { from: '127.0.0.2', headers: key() });
        expect(denied.status).toBe(403);
        // More calls from the same address add to the count, not to the mail.
        await call(`${server.gatewayUrl}/hello`, { from: '127.0.0.2', headers: key() });
        const [mail] = await smtp.waitFor(1);
        expect(mail?.subject).toContain('127.0.0.2');
        expect(mail?.to).toMatchObject({ text: 'owner@example.com' });
        const text = mail?.text ?? '';
        expect(text).toMatch(/Address: +127\.0\.0\.2\n/);
        expect(text).toContain('127.0.0.0/24');
        expect(text).toMatch(/Key: +demo key \(key_/);
        expect(text).toMatch(/Calls: +\d+ \(denied\)/);
        expect(text).not.toContain(server.demoKeySecret);
        // manual assesses too, as advice: the row carried it from its first write, the mail shows it.
        expect(text).toMatch(/ASN: +AS64500 Test Net/);
        expect(text).toMatch(/Assessment: +trusted, score 100 \(trusted from 50\)/);
        expect(text).toMatch(/Mode: +manual: the assessment is advice; you decide/);
        expect(text).toMatch(/Reason: +same-network \+60: 127\.0\.0\.0\/24 as listed 127\.0\.0\.1\n/);
        expect(mail?.html).toContain('same-network +60');
        const listed = await call(`${server.adminUrl}/v1/tenants/${tenantId}/observed-ips?status=pending`, {
          headers: admin,
        });
        const row = (
          JSON.parse(listed.text) as { items: { address: string; assessment: { verdict: string } | null }[] }
        ).items.find((o) => o.address === '127.0.0.2');
        expect(row?.assessment).toMatchObject({ verdict: 'trusted', facts: { network: '127.0.0.0/24' } });
        expect(mail?.html).toContain('Authorize this address');
        expect(mail?.html).not.toContain(server.demoKeySecret);
        linksOf(mail as ParsedMail);
        await new Promise((r) => setTimeout(r, 1500));
        expect(smtp.messages).toHaveLength(1);
      },
      30_000,
    );

    it.skipIf(factory.skip)('GET and HEAD show a confirmation page and change nothing', async () => {
      const { authorize } = linksOf(smtp.messages[0] as ParsedMail);
      const head = await call(authorize, { method: 'HEAD' });
      expect(head.status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const page = await call(authorize);
        expect(page.status).toBe(200);
        expect(page.headers['cache-control']).toBe('no-store');
        expect(page.headers['referrer-policy']).toBe('no-referrer');
        expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
        expect(page.text).toContain('<form method="post">');
        expect(page.text).toContain('127.0.0.2');
      }
      expect((await observed('127.0.0.2'))?.status).toBe('pending');
      const still = await call(`${server.gatewayUrl}/hello`, { from: '127.0.0.2', headers: key() });
      expect(still.status).toBe(403);
    });

    it.skipIf(factory.skip)(
      'tampered, wrong-action, foreign-tenant and cross-site POSTs change nothing',
      async () => {
        const { authorize } = linksOf(smtp.messages[0] as ParsedMail);
        const tampered = authorize.slice(0, -1) + (authorize.endsWith('A') ? 'B' : 'A');
        expect((await call(tampered, { method: 'POST', headers: form, body: '' })).status).toBe(404);
        const wrongAction = authorize.replace('/authorize/', '/stop-reviewing/');
        expect((await call(wrongAction, { method: 'POST', headers: form, body: '' })).status).toBe(404);
        const other = await call(`${server.adminUrl}/v1/tenants`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ name: 'Other' }),
        });
        const otherId = (JSON.parse(other.text) as { id: string }).id;
        const foreign = authorize.replace(`/review/${tenantId}/`, `/review/${otherId}/`);
        expect((await call(foreign, { method: 'POST', headers: form, body: '' })).status).toBe(404);
        const crossSite = await call(authorize, {
          method: 'POST',
          headers: { ...form, origin: 'https://evil.example' },
          body: '',
        });
        expect(crossSite.status).toBe(403);
        expect((await observed('127.0.0.2'))?.status).toBe('pending');
        const tenant = await call(`${server.adminUrl}/v1/tenants/${tenantId}`, { headers: admin });
        expect(JSON.parse(tenant.text).ipMode).toBe('manual');
      },
    );

    it.skipIf(factory.skip)(
      'POST authorizes; the next request from the address passes; a second POST says already done',
      async () => {
        const { authorize } = linksOf(smtp.messages[0] as ParsedMail);
        const done = await call(authorize, { method: 'POST', headers: form, body: '' });
        expect(done.status).toBe(200);
        expect(done.text).toContain('is authorized');
        const next = await call(`${server.gatewayUrl}/hello`, { from: '127.0.0.2', headers: key() });
        expect(next.status).toBe(200);
        const again = await call(authorize, { method: 'POST', headers: form, body: '' });
        expect(again.status).toBe(200);
        expect(again.text).toContain('Already done');
        const audit = await call(`${server.adminUrl}/v1/tenants/${tenantId}/audit-events`, {
          headers: admin,
        });
        const events = (JSON.parse(audit.text) as { items: { action: string; actor: string }[] }).items;
        expect(events.find((e) => e.action === 'tenant.observed_ip.authorized')?.actor).toBe(
          'email link, owner@example.com',
        );
      },
    );

    it.skipIf(factory.skip)(
      'reject and rotate: the old secret stops at once, the new one is shown once and works',
      async () => {
        expect((await call(`${server.gatewayUrl}/hello`, { from: '127.0.0.3', headers: key() })).status).toBe(
          403,
        );
        await smtp.waitFor(2);
        const mail = smtp.messages.find((m) => m.subject?.includes('127.0.0.3')) as ParsedMail;
        const { reject } = linksOf(mail);
        const done = await call(reject, { method: 'POST', headers: form, body: '' });
        expect(done.status).toBe(200);
        expect(done.headers['cache-control']).toBe('no-store');
        const secret = /(ipg_live_[A-Za-z0-9_-]+)/.exec(done.text)?.[1] as string;
        expect(secret).toBeTruthy();
        expect(secret).not.toBe(server.demoKeySecret);
        const old = await call(`${server.gatewayUrl}/hello`, { from: '127.0.0.1', headers: key() });
        expect(old.status).not.toBe(200);
        const fresh = await call(`${server.gatewayUrl}/hello`, {
          from: '127.0.0.1',
          headers: { authorization: `Bearer ${secret}` },
        });
        expect(fresh.status).toBe(200);
        expect((await observed('127.0.0.3'))?.status).toBe('rejected');
        const again = await call(reject, { method: 'POST', headers: form, body: '' });
        expect(again.text).toContain('Already done');
        expect(again.text).not.toContain(secret);
        (server as { demoKeySecret: string | undefined }).demoKeySecret = secret;
      },
      30_000,
    );

    it.skipIf(factory.skip)(
      'stop reviewing switches the mode off: a new address passes on its next request',
      async () => {
        expect((await call(`${server.gatewayUrl}/hello`, { from: '127.0.0.4', headers: key() })).status).toBe(
          403,
        );
        await until(
          () => smtp.messages.some((m) => m.subject?.includes('127.0.0.4')),
          15_000,
          'the third email',
        );
        const mail = smtp.messages.find((m) => m.subject?.includes('127.0.0.4')) as ParsedMail;
        const done = await call(linksOf(mail).stop, { method: 'POST', headers: form, body: '' });
        expect(done.status).toBe(200);
        const tenant = await call(`${server.adminUrl}/v1/tenants/${tenantId}`, { headers: admin });
        expect(JSON.parse(tenant.text).ipMode).toBe('off');
        expect((await call(`${server.gatewayUrl}/hello`, { from: '127.0.0.5', headers: key() })).status).toBe(
          200,
        );
      },
      30_000,
    );
  },
);
