/**
 * Real receivers for the notification tests: an SMTP server (`smtp-server`) whose messages are
 * parsed with `mailparser`, and an HTTP server that verifies Standard Webhooks signatures.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';

export interface SmtpReceiver {
  readonly port: number;
  readonly url: string;
  readonly messages: ParsedMail[];
  /** Resolves once `count` messages arrived in all (or throws after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/**
 * Starts an SMTP server on 127.0.0.1 (port 0: any free one).
 *
 * @example
 * const smtp = await startSmtpReceiver();
 * const [mail] = await smtp.waitFor(1);
 */
export async function startSmtpReceiver(
  port = 0,
  /** Runs once a message is in, before the server answers 250 (a test can kill the sender there). */
  received?: (mail: ParsedMail) => Promise<void>,
): Promise<SmtpReceiver> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          messages.push(mail);
          await received?.(mail);
          callback();
        })
        .catch((e: Error) => callback(e));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = ((server as unknown as { server: Server }).server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    messages,
    waitFor: (count, timeoutMs = 15_000) =>
      until(() => messages.length >= count, timeoutMs, `${count} emails`).then(() => messages),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** What `standardwebhooks` verified, or the error it threw. */
  readonly verified: unknown;
  readonly error: string | undefined;
  readonly status: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** The answer status of the next requests, in order; 204 once used up. */
  answers: number[];
  secret: string;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/**
 * An HTTP receiver on 127.0.0.1 that verifies each request with `standardwebhooks`.
 *
 * @example
 * const hooks = await startWebhookReceiver(); hooks.secret = created.secret; hooks.answers = [500];
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    answers: [],
    secret: '',
    waitFor: (count, timeoutMs = 15_000) =>
      until(() => receiver.received.length >= count, timeoutMs, `${count} webhooks`).then(
        () => receiver.received,
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified: unknown;
      let error: string | undefined;
      try {
        verified = new Webhook(receiver.secret).verify(body, req.headers as Record<string, string>);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      const status = receiver.answers.shift() ?? 204;
      receiver.received.push({ headers: req.headers, body, verified, error, status });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (receiver as { url: string }).url =
    `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ipgate`;
  return receiver;
}

/**
 * Polls `done` every 20 ms until it holds.
 *
 * @example
 * await until(() => rows.length > 0, 5000, 'a row');
 */
export async function until(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
