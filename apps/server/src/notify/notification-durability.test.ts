import { freePort } from '@ipgate/test-support/sockets';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  killHard,
  type ServeProcess,
  startServeProcess,
  withServeStore,
} from '../serve-process.test-support.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { startSmtpReceiver, until } from './receivers.test-support.js';

/**
 * A notification queued while the SMTP server is down survives `kill -9` of `ipgate serve`: after a
 * restart on the same store, with the SMTP server back, the email arrives, and its delivery log
 * holds the attempts of both lives.
 */
const postgres = (await storeFactories()).find((f) => f.name === 'postgres');

/** The demo, sending its notifications to an SMTP server on `smtpPort`, with `more` flags. */
function startServe(smtpPort: number, more: readonly string[], env: Record<string, string>) {
  const args = [
    '--demo',
    '--demo-upstream-port',
    '0',
    '--smtp-url',
    `smtp://127.0.0.1:${smtpPort}`,
    '--notify-interval',
    '50ms',
    ...more,
  ];
  return startServeProcess(args, env, {
    // The demo's lines end the banner.
    done: (out) =>
      /gateway \(proxy\): +http:/.test(out) &&
      /--interface 127\.0\.0\.2|denied|allowed/.test(out) &&
      out.endsWith('\n'),
    settleMs: 200,
  });
}

async function get(url: string, headers: Record<string, string>, from = '127.0.0.1') {
  const dispatcher = new Agent({ localAddress: from });
  try {
    const r = await request(url, { headers, dispatcher });
    return { status: r.statusCode, text: await r.body.text() };
  } finally {
    await dispatcher.close();
  }
}

/** The demo key's call from 127.0.0.2, which the demo denies: the notification it queues. */
async function deniedCall(serve: ServeProcess): Promise<void> {
  const keySecret = /Bearer (ipg_live_\S+)'/.exec(serve.out)?.[1] as string;
  expect(keySecret).toBeTruthy();
  expect(
    (await get(`${serve.gatewayUrl}/hello`, { authorization: `Bearer ${keySecret}` }, '127.0.0.2')).status,
  ).toBe(403);
}

interface Delivery {
  readonly id: string;
  readonly status: string;
  readonly log: readonly { ok: boolean }[];
}

/** Lists the demo tenant's notification deliveries through this server's admin API. */
async function deliveriesOf(adminUrl: string, token: string): Promise<() => Promise<Delivery[]>> {
  const admin = { authorization: `Bearer ${token}` };
  const tenants = JSON.parse((await get(`${adminUrl}/v1/tenants`, admin)).text) as {
    items: { id: string }[];
  };
  const url = `${adminUrl}/v1/tenants/${tenants.items[0]?.id}/notification-deliveries`;
  return async () => (JSON.parse((await get(url, admin)).text) as { items: Delivery[] }).items;
}

async function run(env: Record<string, string>): Promise<void> {
  const port = await freePort();
  // A lease of 2 s: the kill may land while the first server holds a retry's lease, which the
  // second then waits out (60 s by default, past the wait for the email below).
  const more = ['--notify-retry-base', '300ms', '--notify-lease', '2s'];
  const first = await startServe(port, more, env);
  const token = first.ownerToken as string;
  expect(token).toBeTruthy();
  await deniedCall(first);
  const firstDeliveries = await deliveriesOf(first.adminUrl, token);
  await until(async () => ((await firstDeliveries())[0]?.log.length ?? 0) >= 1, 15_000, 'a failed attempt');
  await killHard(first.child);

  const smtp = await startSmtpReceiver(port);
  const second = await startServe(port, more, env);
  try {
    const [mail] = await smtp.waitFor(1, 20_000);
    expect(mail?.subject).toContain('127.0.0.2');
    const deliveries = await deliveriesOf(second.adminUrl, token);
    await until(async () => (await deliveries())[0]?.status === 'sent', 10_000, 'the delivery sent');
    const [d] = await deliveries();
    expect(d?.log[0]?.ok).toBe(false);
    expect(d?.log.at(-1)?.ok).toBe(true);
    expect(smtp.messages).toHaveLength(1);
  } finally {
    await killHard(second.child);
    await smtp.close();
  }
}

describe('kill -9 of ipgate serve with a notification waiting for SMTP', () => {
  it(
    'delivers it after the restart on SQLite',
    () => withServeStore('sqlite', 'ipgate-notify-durable', run),
    90_000,
  );

  it.skipIf(postgres?.skip !== false)(
    'delivers it after the restart on PostgreSQL',
    () => withServeStore('postgres', 'ipgate-notify-durable', run),
    90_000,
  );
});

/**
 * At least once, recognisably: `kill -9` of `ipgate serve` after the SMTP server has the email but
 * before the sender marks it sent. After the restart the email is sent again once the dead sender's
 * lease lapses, with the same Message-ID, so the copy can be told for what it is.
 */
async function killBetweenSendAndMark(env: Record<string, string>): Promise<void> {
  const port = await freePort();
  let first: ServeProcess | undefined;
  let killed = false;
  const smtp = await startSmtpReceiver(port, async () => {
    // The server has the whole message and has not answered: the sender cannot have marked it.
    if (first !== undefined && !killed) {
      killed = true;
      await killHard(first.child);
    }
  });
  const more = ['--smtp-from', 'ipgate <alerts@ipgate.example.com>', '--notify-lease', '2s'];
  let second: ServeProcess | undefined;
  try {
    first = await startServe(port, more, env);
    const token = first.ownerToken as string;
    await deniedCall(first);
    await smtp.waitFor(1, 20_000);
    await until(() => first?.child.signalCode === 'SIGKILL', 10_000, 'the kill');

    second = await startServe(port, more, env);
    const [one, two] = await smtp.waitFor(2, 20_000);
    expect(one?.messageId).toMatch(/^<dlv_[a-z0-9]+@ipgate\.example\.com>$/);
    expect(two?.messageId).toBe(one?.messageId);
    expect(two?.subject).toBe(one?.subject);

    const deliveries = await deliveriesOf(second.adminUrl, token);
    const delivered = async () => (await deliveries())[0];
    await until(async () => (await delivered())?.status === 'sent', 10_000, 'the delivery marked sent');
    const d = await delivered();
    // The first life's send left no trace but the email: the log has the one attempt that was marked.
    expect(d?.log.map((a) => a.ok)).toEqual([true]);
    expect(one?.messageId).toBe(`<${d?.id}@ipgate.example.com>`);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.messages).toHaveLength(2);
  } finally {
    if (first !== undefined && !killed) await killHard(first.child);
    if (second !== undefined) await killHard(second.child);
    await smtp.close();
  }
}

describe('kill -9 of ipgate serve between sending an email and marking it sent', () => {
  it(
    'sends it again after the restart with the same Message-ID, on SQLite',
    () => withServeStore('sqlite', 'ipgate-notify-twice', killBetweenSendAndMark),
    90_000,
  );

  it.skipIf(postgres?.skip !== false)(
    'sends it again after the restart with the same Message-ID, on PostgreSQL',
    () => withServeStore('postgres', 'ipgate-notify-twice', killBetweenSendAndMark),
    90_000,
  );
});
