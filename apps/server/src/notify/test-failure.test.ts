import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@ipgate/test-support/sockets';
import { describe, expect, it } from 'vitest';
import { smtpTransport } from './email-transport.js';
import { classifyTestFailure, TestTimeout } from './test-failure.js';
import { webhookTransport } from './webhook-transport.js';

/**
 * The reasons of a failed test send, from what the real transports throw: nodemailer against a
 * closed port, undici's own header timeout, the SSRF guard; anything unknown is `error` (or `smtp`
 * for the SMTP transport, whose other failures are the server's refusals).
 */
describe('classifyTestFailure', () => {
  it('nodemailer against a closed port is a connection failure', async () => {
    const email = smtpTransport({
      url: `smtp://127.0.0.1:${await freePort()}`,
      from: 'ipgate <ipgate@example.com>',
      requireTls: false,
      tlsRejectUnauthorized: true,
    });
    try {
      const e = await email
        .send(
          { subject: 's', text: 't', html: '<p>t</p>', to: 'a@example.com', messageKey: 'tst_1' },
          { tenantId: 'ten_1', channelId: 'nch_1' },
        )
        .catch((x: unknown) => x);
      expect(classifyTestFailure(e, 'smtp')).toMatchObject({ reason: 'connection', httpStatus: null });
      expect(classifyTestFailure(e, 'smtp').detail).toMatch(/ECONNREFUSED/);
    } finally {
      email.close();
    }
  });

  it("undici's own header timeout is a timeout", async () => {
    const server: Server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const hooks = webhookTransport({ allowPrivate: true, timeoutMs: 200 });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const e = await hooks
        .send({ url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 'tst_2', {})
        .catch((x: unknown) => x);
      expect(classifyTestFailure(e, 'webhook').reason).toBe('timeout');
    } finally {
      await hooks.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('the SSRF guard is destination-refused; the deadline is timeout; the rest is error or smtp', async () => {
    const hooks = webhookTransport({ allowPrivate: false });
    try {
      const e = await hooks
        .send({ url: 'http://10.0.0.1/x', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 'tst_3', {})
        .catch((x: unknown) => x);
      expect(classifyTestFailure(e, 'webhook')).toMatchObject({ reason: 'destination-refused' });
    } finally {
      await hooks.close();
    }
    expect(classifyTestFailure(new TestTimeout(10_000), 'smtp')).toMatchObject({
      reason: 'timeout',
      detail: 'no answer within 10 s',
    });
    expect(classifyTestFailure(new Error('database is locked'), 'outbox').reason).toBe('error');
    expect(classifyTestFailure(new Error('Invalid login: 535'), 'smtp').reason).toBe('smtp');
  });
});
