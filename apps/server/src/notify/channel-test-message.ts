/**
 * What a channel's test send says (docs/review.md#testing-a-channel): an email and a `channel.test`
 * webhook event, each marked as a test in its first words, carrying no address, key or link, so
 * nobody can mistake it for a review or act on it.
 */
import { escapeHtml, type RenderedEmail } from './render-email.js';

/** The webhook event type of a test send; receivers that only know the review events may ignore it. */
export const CHANNEL_TEST_EVENT = 'channel.test';

/** What the messages name. */
export interface TestMessageFacts {
  readonly tenant: { readonly id: string; readonly name: string };
  readonly channel: { readonly id: string; readonly name: string };
  readonly messageId: string;
  readonly at: Date;
}

const WHAT =
  'This is a test message from ipgate: someone asked to test this notification channel. Nothing happened and nothing needs doing.';

/**
 * The test email.
 *
 * @example
 * renderTestEmail(facts).subject; // '[ipgate] Test message: channel "owner" of Acme'
 */
export function renderTestEmail(f: TestMessageFacts): RenderedEmail {
  const subject = `[ipgate] Test message: channel "${f.channel.name}" of ${f.tenant.name}`;
  const rows: [string, string][] = [
    ['Tenant', `${f.tenant.name} (${f.tenant.id})`],
    ['Channel', `${f.channel.name} (${f.channel.id})`],
    ['Sent at', f.at.toISOString()],
    ['Test id', f.messageId],
  ];
  const after =
    'When an address that is not on the IP list calls with one of the tenant’s keys, an email like this one, with one-click links, arrives here.';
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const text = [WHAT, '', ...rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`), '', after, ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">',
    `<p><strong>${escapeHtml(WHAT)}</strong></p>`,
    '<table cellpadding="4" style="border-collapse:collapse">',
    ...rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    `<p>${escapeHtml(after)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/**
 * The body of the `channel.test` webhook event (Standard Webhooks envelope: type, timestamp, data).
 *
 * @example
 * testWebhookPayload(facts).type; // 'channel.test'
 */
export function testWebhookPayload(f: TestMessageFacts): Record<string, unknown> {
  return {
    type: CHANNEL_TEST_EVENT,
    timestamp: f.at.toISOString(),
    data: {
      test: true,
      tenantId: f.tenant.id,
      tenantName: f.tenant.name,
      channel: { id: f.channel.id, name: f.channel.name },
      message: WHAT,
    },
  };
}
