/**
 * The email an owner receives about a pending address, and the digest that replaces single emails
 * when many arrive within an hour: plain text and HTML saying the same thing.
 */
import type { PendingNotice } from './pending-notice.js';
import type { ActionLinks } from './review-links.js';

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const ACTIONS = [
  ['authorize', 'Authorize this address', 'it joins the IP list; its next call passes'],
  [
    'reject-and-rotate',
    "Don't authorize it, rotate the key",
    'the key stops working at once; its new secret is shown once on the page',
  ],
  ['stop-reviewing', 'Stop reviewing', 'mode off: every address may use the keys'],
] as const;

function facts(n: PendingNotice): [string, string][] {
  const rows: [string, string][] = [
    ['Address', n.address],
    ['Network', n.network],
    ['ASN', asn(n)],
    ['Country', n.assessment?.facts.country ?? 'not known'],
    ['Key', `${n.key.name} (${n.key.id}); its secret is never sent`],
    ['First seen', n.firstSeen.toISOString()],
    ['Last seen', n.lastSeen.toISOString()],
    ['Calls', `${n.count} (denied)`],
  ];
  const a = n.assessment;
  if (a !== null) {
    rows.push(['Assessment', `${a.verdict}, score ${a.score} (trusted from ${a.trustScore})`]);
    // In manual nothing is admitted by the verdict: say so, so a `trusted` one is not misread.
    if (n.tenant.ipMode === 'manual') rows.push(['Mode', 'manual: the assessment is advice; you decide']);
    for (const r of a.reasons) rows.push(['Reason', r]);
    rows.push(['Network data', `${a.data.source}, ${a.data.date ?? 'undated'}`]);
  }
  return rows;
}

function asn(n: PendingNotice): string {
  const f = n.assessment?.facts;
  if (f === undefined || f.asn === null) return 'not known';
  const name = f.asnName === null ? '' : ` ${f.asnName}`;
  return `AS${f.asn}${name}${f.hosting === null ? '' : ` (hosting: ${f.hosting})`}`;
}

function expiry(links: ActionLinks): string {
  return `${links.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The email about one pending address.
 *
 * @example
 * const { subject, text, html } = renderPendingEmail(notice, links);
 */
export function renderPendingEmail(n: PendingNotice, links: ActionLinks): RenderedEmail {
  const subject = `[ipgate] ${n.address} called ${n.tenant.name} with key "${n.key.name}": review it`;
  const intro = `An address that is not on the IP list of ${n.tenant.name} (${n.tenant.id}) called with one of its keys. It was denied and waits for your review.`;
  const rows = facts(n);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const text = [
    intro,
    '',
    ...rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`),
    '',
    `Decide with one click. Each link opens a page that asks you to confirm; each works once, until ${expiry(links)}.`,
    '',
    ...ACTIONS.flatMap(([action, label, what]) => [`${label} (${what}):`, `  ${links[action]}`, '']),
    `Or in the management API: /v1/tenants/${n.tenant.id}/observed-ips/${n.observedId}`,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">',
    `<p>${escapeHtml(intro)}</p>`,
    '<table cellpadding="4" style="border-collapse:collapse">',
    ...rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    `<p>Decide with one click. Each link opens a page that asks you to confirm; each works once, until ${escapeHtml(expiry(links))}.</p>`,
    '<ul>',
    ...ACTIONS.map(
      ([action, label, what]) =>
        `<li><a href="${escapeHtml(links[action])}">${escapeHtml(label)}</a>: ${escapeHtml(what)}</li>`,
    ),
    '</ul>',
    `<p>Or in the management API: <code>/v1/tenants/${escapeHtml(n.tenant.id)}/observed-ips/${escapeHtml(n.observedId)}</code></p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/**
 * One email for many pending addresses (the digest), each with its own links.
 *
 * @example
 * renderDigestEmail('Acme', [{ notice, links }, …]).subject; // '[ipgate] 12 new addresses called Acme: review them'
 */
export function renderDigestEmail(
  tenantName: string,
  items: readonly { readonly notice: PendingNotice; readonly links: ActionLinks }[],
): RenderedEmail {
  const subject = `[ipgate] ${items.length} new addresses called ${tenantName}: review them`;
  const intro = `${items.length} addresses that are not on the IP list of ${tenantName} called with its keys within the last hour. They were denied and wait for your review. This digest replaces single emails while this many arrive.`;
  const text = [
    intro,
    '',
    ...items.flatMap(({ notice: n, links }) => [
      `${n.address} (${n.network}), key ${n.key.name} (${n.key.id}), ${n.count} calls, first seen ${n.firstSeen.toISOString()}`,
      `  Authorize: ${links.authorize}`,
      `  Don't authorize, rotate the key: ${links['reject-and-rotate']}`,
      `  Stop reviewing: ${links['stop-reviewing']}`,
      '',
    ]),
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">',
    `<p>${escapeHtml(intro)}</p>`,
    '<ul>',
    ...items.map(
      ({ notice: n, links }) =>
        `<li>${escapeHtml(`${n.address} (${n.network}), key ${n.key.name} (${n.key.id}), ${n.count} calls, first seen ${n.firstSeen.toISOString()}`)}: ` +
        `<a href="${escapeHtml(links.authorize)}">Authorize</a> · <a href="${escapeHtml(links['reject-and-rotate'])}">Don't authorize, rotate the key</a> · <a href="${escapeHtml(links['stop-reviewing'])}">Stop reviewing</a></li>`,
    ),
    '</ul>',
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
