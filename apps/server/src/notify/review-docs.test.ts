import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assess } from '../review/assessment.js';
import { publicFacts } from '../review/assessment.test-support.js';
import { defaultReviewSettings } from '../review/review-settings.js';
import type { ClaimedDelivery } from '../store/notification-types.js';
import { testWebhookPayload } from './channel-test-message.js';
import type { PendingNotice } from './pending-notice.js';
import { renderPendingEmail } from './render-email.js';
import type { ActionLinks } from './review-links.js';
import { webhookPayload } from './webhook-payload.js';
import { webhookTransport } from './webhook-transport.js';

/**
 * docs/review.md shows what the owner receives and how to verify webhooks. The samples are rendered
 * here by the code that renders real messages, and the Node example is the file the page links,
 * run against a real delivery. `IPGATE_UPDATE_DOCS=1` rewrites the page's blocks.
 */
const docPath = fileURLToPath(new URL('../../../../docs/review.md', import.meta.url));
const examplePath = fileURLToPath(new URL('../../../../docs/verify-webhook.mjs', import.meta.url));

const at = new Date('2026-12-06T19:40:12.345Z');
const facts = publicFacts('203.0.113.7', { asn: 64500, asnName: 'Example Net', country: 'NL' });
const notice: PendingNotice = {
  tenant: { id: 'ten_01jf3v1q2w3e4r5t6y7u8i9o0p', name: 'Acme' },
  observedId: 'obs_01jf3v7k8m9n0b1v2c3x4z5a6s',
  address: '203.0.113.7',
  network: '203.0.113.0/24',
  key: { id: 'key_01jf3v2a3s4d5f6g7h8j9k0l1q', name: 'ci-runner' },
  firstSeen: at,
  lastSeen: new Date(at.getTime() + 95_000),
  count: 3,
  status: 'pending',
  // Same operator and country as a listed address, another network: 40 points, below 50: held.
  assessment: assess(
    facts,
    {
      listed: {
        size: 1,
        networks: new Map([['198.51.100.0/24', 'office']]),
        asns: new Map([[64500, 'office']]),
        countries: new Map([['NL', 'office']]),
      },
      newAddressesOnKey: 1,
      authFailures: 0,
    },
    defaultReviewSettings,
    { date: '2026-11-30', source: 'iptoasn' },
  ),
};
const base = `https://ipgate.example.com/review/${notice.tenant.id}/${notice.observedId}`;
const links: ActionLinks = {
  authorize: `${base}/authorize/ipg_rev_Q2h0b3JpemUtZXhhbXBsZS10b2tlbi1vbmx5LWhlcmUu`,
  'reject-and-rotate': `${base}/reject-and-rotate/ipg_rev_UmVqZWN0LWV4YW1wbGUtdG9rZW4tb25seS1oZXJlLi4u`,
  'stop-reviewing': `${base}/stop-reviewing/ipg_rev_U3RvcC1leGFtcGxlLXRva2VuLW9ubHktaGVyZS4uLi4u`,
  expiresAt: new Date(at.getTime() + 72 * 3600_000),
};
const delivery: ClaimedDelivery = {
  id: 'dlv_01jf3v9p8o7i6u5y4t3r2e1w0q',
  tenantId: notice.tenant.id,
  attempt: 1,
  createdAt: at,
  leaseUntil: new Date(at.getTime() + 60_000),
  notification: {
    id: 'ntf_01jf3v9p8o7i6u5y4t3r2e1w0a',
    type: 'ip.pending',
    observedId: notice.observedId,
    payload: {},
    createdAt: at,
  },
  channel: {
    id: 'nch_01jf3v0z9x8c7v6b5n4m3l2k1j',
    kind: 'webhook',
    name: 'ops',
    target: 'https://hooks.example.com/ipgate',
    secret: null,
  },
};

function block(doc: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/review.md lacks the ${name} block`);
  return `${doc.slice(0, i + start.length)}\n${content}\n${doc.slice(j)}`;
}

describe('docs/review.md', () => {
  it('shows the email, the webhook bodies and the Node example exactly as the code makes them', () => {
    const mail = renderPendingEmail(notice, links);
    const payload = webhookPayload(delivery, notice, links, new Date(at.getTime() + 96_000));
    const doc = readFileSync(docPath, 'utf8');
    let expected = block(
      doc,
      'sample-email',
      ['```text', `Subject: ${mail.subject}`, '', mail.text.trimEnd(), '```'].join('\n'),
    );
    expected = block(
      expected,
      'sample-webhook',
      ['```json', JSON.stringify(payload, null, 2), '```'].join('\n'),
    );
    const test = testWebhookPayload({
      tenant: notice.tenant,
      channel: { id: delivery.channel.id, name: delivery.channel.name },
      messageId: 'tst_01jf3vb2n3m4q5w6e7r8t9y0u1',
      at: new Date(at.getTime() + 300_000),
    });
    expected = block(
      expected,
      'sample-test-webhook',
      ['```json', JSON.stringify(test, null, 2), '```'].join('\n'),
    );
    expected = block(
      expected,
      'verify-webhook',
      ['```js', readFileSync(examplePath, 'utf8').trimEnd(), '```'].join('\n'),
    );
    if (process.env['IPGATE_UPDATE_DOCS'] === '1') writeFileSync(docPath, expected);
    expect(doc).toBe(expected);
  });
});

describe('docs/verify-webhook.mjs', () => {
  it('accepts a real signed delivery once per webhook-id and refuses a bad signature', async () => {
    const { webhookHandler } = (await import(pathToFileURL(examplePath).href)) as {
      webhookHandler: (
        secret: string,
        onEvent: (event: unknown, id: string) => void,
      ) => Parameters<typeof createServer>[1];
    };
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const events: [unknown, string][] = [];
    const server = createServer(webhookHandler(secret, (event, id) => events.push([event, id])));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const hooks = webhookTransport({ allowPrivate: true });
    try {
      const payload = webhookPayload(delivery, notice, links, new Date());
      expect(await hooks.send({ url, secret }, delivery.id, payload)).toBe('HTTP 204');
      // A retry of the same delivery is accepted and not processed twice.
      expect(await hooks.send({ url, secret }, delivery.id, payload)).toBe('HTTP 204');
      expect(events).toHaveLength(1);
      expect(events[0]?.[1]).toBe(delivery.id);
      expect(events[0]?.[0]).toMatchObject({ type: 'ip.pending' });
      await expect(
        hooks.send({ url, secret: 'whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldCBhdCBhbGw=' }, 'dlv_other', payload),
      ).rejects.toThrow(/HTTP 400/);
      expect(events).toHaveLength(1);
    } finally {
      await hooks.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
