/**
 * Webhook deliveries signed per the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`, with the `standardwebhooks` package), behind the SSRF guard of
 * destination-guard.ts: names are checked in the connection's own lookup, and the address the
 * socket actually connected to is checked again before a byte of the request is written.
 */
import { Webhook } from 'standardwebhooks';
import { Agent, buildConnector, request } from 'undici';
import {
  DestinationRefused,
  forbiddenDestination,
  guardedLookup,
  literalDestinationProblem,
} from './destination-guard.js';

/** The endpoint answered, but not 2xx: the message says the status and the start of the body. */
export class WebhookHttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`HTTP ${status}${body === '' ? '' : `: ${body}`}`);
    this.name = 'WebhookHttpError';
  }
}

export interface WebhookTransport {
  /** Posts the payload; resolves with what the delivery log records for a 2xx, rejects otherwise. */
  send(
    target: { readonly url: string; readonly secret: string },
    messageId: string,
    payload: unknown,
  ): Promise<string>;
  close(): Promise<void>;
}

/**
 * A webhook sender.
 *
 * @example
 * const hooks = webhookTransport({ allowPrivate: false });
 * await hooks.send({ url: 'https://example.com/hook', secret: 'whsec_…' }, 'dlv_…', { type: 'ip.pending', … });
 */
export function webhookTransport(options: {
  readonly allowPrivate: boolean;
  readonly timeoutMs?: number;
}): WebhookTransport {
  const timeout = options.timeoutMs ?? 10_000;
  const base = buildConnector({ lookup: guardedLookup(options.allowPrivate) as never, timeout });
  const connect: buildConnector.connector = (opts, callback) =>
    base(opts, (err, socket) => {
      if (err !== null || socket === null) return callback(err ?? new Error('no socket'), null);
      const remote = socket.remoteAddress ?? '';
      const purpose = options.allowPrivate ? undefined : forbiddenDestination(remote);
      if (purpose !== undefined) {
        socket.destroy();
        return callback(new DestinationRefused(opts.hostname, remote, purpose), null);
      }
      callback(null, socket);
    });
  const agent = new Agent({ connect, headersTimeout: timeout, bodyTimeout: timeout });
  return {
    async send(target, messageId, payload) {
      if (!options.allowPrivate) {
        const problem = literalDestinationProblem(target.url);
        if (problem !== undefined) {
          throw new DestinationRefused(new URL(target.url).hostname, new URL(target.url).hostname, problem);
        }
      }
      const body = JSON.stringify(payload);
      const at = new Date();
      const signature = new Webhook(target.secret).sign(messageId, at, body);
      const r = await request(target.url, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ipgate-webhooks',
          'webhook-id': messageId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
      });
      // Read a little of the answer for the log; never follow redirects (a 3xx is a failure).
      const text = (await r.body.text()).slice(0, 200);
      if (r.statusCode < 200 || r.statusCode >= 300) {
        throw new WebhookHttpError(r.statusCode, text);
      }
      return `HTTP ${r.statusCode}`;
    },
    // Idempotent: a sender closes it once, a test may close the sender twice.
    close: () => (agent.closed || agent.destroyed ? Promise.resolve() : agent.close()),
  };
}
