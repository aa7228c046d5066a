/**
 * The HTML of the one-click action pages: small, static, no script, and served with headers that
 * keep the token out of caches, referrers and frames (docs/architecture/review.md#one-click-actions).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../../notify/render-email.js';

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}' +
  'button{font-size:1rem;padding:.5rem 1rem}code{background:#eee;padding:.1rem .3rem;word-break:break-all}' +
  '.secret{font-size:1.1rem;border:2px solid #c60;padding:.5rem}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * Every page's security headers. The CSP allows exactly the one inline style above, forms only to
 * this origin, and nothing else: no script, no images, no frames.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
};

/** A piece of page body: trusted HTML made by the functions here, or text to escape. */
export type Html = { readonly html: string };

/** Marks markup as trusted. @example raw('<br>') */
export function raw(html: string): Html {
  return { html };
}

/** Text as escaped HTML. @example text('<b>').html; // '&lt;b&gt;' */
export function text(value: string): Html {
  return { html: escapeHtml(value) };
}

/**
 * Sends a page.
 *
 * @example
 * return sendPage(reply, 404, 'This link is not valid', [text('…')]);
 */
export function sendPage(
  reply: FastifyReply,
  status: number,
  title: string,
  body: readonly Html[],
): FastifyReply {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · ipgate</title><style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body.map((b) => b.html).join('')}</body></html>`;
  return reply.status(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(page);
}

/** A paragraph of text. */
export function p(value: string): Html {
  return raw(`<p>${escapeHtml(value)}</p>`);
}
