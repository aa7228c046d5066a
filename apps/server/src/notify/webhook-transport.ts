/**
 * Webhook deliveries signed per the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`, with the `standardwebhooks` package), behind the SSRF guard of
 * destination-guard.ts: names are checked in the connection's own lookup, and the address the
 * socket actually connected to is checked again before a byte of the request is written.
 */
import { Buffer } from 'node:buffer';
import { Webhook } from 'standardwebhooks';
import { Agent, buildConnector, request } from 'undici';
import {
  DestinationRefused,
  forbiddenDestination,
  guardedLookup,
  literalDestinationProblem,
} from './destination-guard.js';

/**
 * How much of an answer is read, at most: the delivery log keeps its first 200 characters. The
 * endpoint is a tenant's, so the rest is never read — an endless answer would otherwise be buffered
 * whole (memory) or, dripped a byte at a time, hold the sender's round for ever.
 */
const ANSWER_BYTES = 800;
const ANSWER_CHARS = 200;

/** No complete answer (connection, headers and the part of the body read) within the delivery's time. */
export class WebhookTimeout extends Error {
  /** The code undici and Node give their own timeouts, so callers sort it as one. */
  readonly code = 'ETIMEDOUT';
  constructor(readonly ms: number) {
    super(`no answer within ${ms / 1000} s`);
    this.name = 'WebhookTimeout';
  }
}

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

/** The start of an answer's body, at most ANSWER_BYTES read; leaving the loop early destroys the rest. */
async function answerStart(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes >= ANSWER_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, ANSWER_BYTES).toString('utf8').slice(0, ANSWER_CHARS);
}

/**
 * A webhook sender. `timeoutMs` (10 s) bounds each delivery as a whole, from the connection to the
 * last byte read: undici's own timeouts only bound each wait, which an endpoint can reset by
 * sending a byte at a time.
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
      const deadline = AbortSignal.timeout(timeout);
      let r: Awaited<ReturnType<typeof request>>;
      let text: string;
      try {
        r = await request(target.url, {
          method: 'POST',
          dispatcher: agent,
          signal: deadline,
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
        text = await answerStart(r.body);
      } catch (e) {
        if (deadline.aborted) throw new WebhookTimeout(timeout);
        throw e;
      }
      if (r.statusCode < 200 || r.statusCode >= 300) {
        throw new WebhookHttpError(r.statusCode, text);
      }
      return `HTTP ${r.statusCode}`;
    },
    // Idempotent: a sender closes it once, a test may close the sender twice.
    close: () => (agent.closed || agent.destroyed ? Promise.resolve() : agent.close()),
  };
}
