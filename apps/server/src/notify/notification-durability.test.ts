import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { POSTGRES_TEST_URL, storeFactories } from '../store/test-stores.test-support.js';
import { startSmtpReceiver, until } from './receivers.test-support.js';

/**
 * A notification queued while the SMTP server is down survives `kill -9` of `ipgate serve`: after a
 * restart on the same store, with the SMTP server back, the email arrives, and its delivery log
 * holds the attempts of both lives.
 */
const bin = fileURLToPath(new URL('../../../cli/bin/ipgate.js', import.meta.url));
const postgres = (await storeFactories()).find((f) => f.name === 'postgres');

interface Started {
  readonly child: ChildProcess;
  readonly adminUrl: string;
  readonly gatewayUrl: string;
  readonly out: string;
}

function startServe(args: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--log-level',
      'error',
      ...args,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time:\n${out}\n${err}`)), 20_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const admin = /admin API: +(http:\/\/\S+)\/v1/.exec(out);
      const gateway = /gateway \(proxy\): +(http:\/\/\S+)/.exec(out);
      // The demo's lines end the banner.
      if (
        admin !== null &&
        gateway !== null &&
        /--interface 127\.0\.0\.2|denied|allowed/.test(out) &&
        out.endsWith('\n')
      ) {
        setTimeout(() => {
          clearTimeout(timer);
          resolve({ child, adminUrl: admin[1] as string, gatewayUrl: gateway[1] as string, out });
        }, 200);
      }
    });
    child.on('exit', (code) => reject(new Error(`ipgate serve exited with ${code}:\n${err}`)));
  });
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
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

async function run(env: Record<string, string>): Promise<void> {
  const port = await freePort();
  const args = [
    '--demo',
    '--demo-upstream-port',
    '0',
    '--smtp-url',
    `smtp://127.0.0.1:${port}`,
    '--notify-interval',
    '50ms',
    '--notify-retry-base',
    '300ms',
  ];
  const first = await startServe(args, env);
  const token = /^ {2}(ipg_adm_\S+)$/m.exec(first.out)?.[1] as string;
  const keySecret = /Bearer (ipg_live_\S+)'/.exec(first.out)?.[1] as string;
  expect(token).toBeTruthy();
  expect(keySecret).toBeTruthy();
  const admin = { authorization: `Bearer ${token}` };
  const tenants = JSON.parse((await get(`${first.adminUrl}/v1/tenants`, admin)).text) as {
    items: { id: string }[];
  };
  const tenantId = tenants.items[0]?.id as string;
  const deliveries = async (adminUrl: string) =>
    (
      JSON.parse((await get(`${adminUrl}/v1/tenants/${tenantId}/notification-deliveries`, admin)).text) as {
        items: { status: string; attempts: number; log: { ok: boolean }[] }[];
      }
    ).items;

  expect(
    (await get(`${first.gatewayUrl}/hello`, { authorization: `Bearer ${keySecret}` }, '127.0.0.2')).status,
  ).toBe(403);
  await until(
    async () => ((await deliveries(first.adminUrl))[0]?.log.length ?? 0) >= 1,
    15_000,
    'a failed attempt',
  );
  await killHard(first.child);

  const smtp = await startSmtpReceiver(port);
  const second = await startServe(args, env);
  try {
    const [mail] = await smtp.waitFor(1, 20_000);
    expect(mail?.subject).toContain('127.0.0.2');
    await until(
      async () => (await deliveries(second.adminUrl))[0]?.status === 'sent',
      10_000,
      'the delivery sent',
    );
    const [d] = await deliveries(second.adminUrl);
    expect(d?.log[0]?.ok).toBe(false);
    expect(d?.log.at(-1)?.ok).toBe(true);
    expect(smtp.messages).toHaveLength(1);
  } finally {
    await killHard(second.child);
    await smtp.close();
  }
}

describe('kill -9 of ipgate serve with a notification waiting for SMTP', () => {
  it('delivers it after the restart on SQLite', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-notify-durable-'));
    try {
      await run({ IPGATE_DATA_DIR: dataDir });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it.skipIf(postgres?.skip !== false)(
    'delivers it after the restart on PostgreSQL',
    async () => {
      const schema = `ipgate_notify_durable_${randomBytes(6).toString('hex')}`;
      const c = new pg.Client({ connectionString: POSTGRES_TEST_URL });
      const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-notify-durable-pg-'));
      await c.connect();
      try {
        await c.query(`create schema ${schema}`);
        const url = `${POSTGRES_TEST_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        await run({ DATABASE_URL: url, IPGATE_DATA_DIR: dataDir });
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      }
    },
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
  let first: Started | undefined;
  let killed = false;
  const smtp = await startSmtpReceiver(port, async () => {
    // The server has the whole message and has not answered: the sender cannot have marked it.
    if (first !== undefined && !killed) {
      killed = true;
      await killHard(first.child);
    }
  });
  const args = [
    '--demo',
    '--demo-upstream-port',
    '0',
    '--smtp-url',
    `smtp://127.0.0.1:${port}`,
    '--smtp-from',
    'ipgate <alerts@ipgate.example.com>',
    '--notify-interval',
    '50ms',
    '--notify-lease',
    '2s',
  ];
  let second: Started | undefined;
  try {
    first = await startServe(args, env);
    const token = /^ {2}(ipg_adm_\S+)$/m.exec(first.out)?.[1] as string;
    const keySecret = /Bearer (ipg_live_\S+)'/.exec(first.out)?.[1] as string;
    expect(
      (await get(`${first.gatewayUrl}/hello`, { authorization: `Bearer ${keySecret}` }, '127.0.0.2')).status,
    ).toBe(403);
    await smtp.waitFor(1, 20_000);
    await until(() => first?.child.signalCode === 'SIGKILL', 10_000, 'the kill');

    second = await startServe(args, env);
    const [one, two] = await smtp.waitFor(2, 20_000);
    expect(one?.messageId).toMatch(/^<dlv_[a-z0-9]+@ipgate\.example\.com>$/);
    expect(two?.messageId).toBe(one?.messageId);
    expect(two?.subject).toBe(one?.subject);

    const admin = { authorization: `Bearer ${token}` };
    const tenants = JSON.parse((await get(`${second.adminUrl}/v1/tenants`, admin)).text) as {
      items: { id: string }[];
    };
    const url = `${second.adminUrl}/v1/tenants/${tenants.items[0]?.id}/notification-deliveries`;
    const delivered = async () =>
      (
        JSON.parse((await get(url, admin)).text) as {
          items: { id: string; status: string; log: { ok: boolean }[] }[];
        }
      ).items[0];
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
  it('sends it again after the restart with the same Message-ID, on SQLite', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-notify-twice-'));
    try {
      await killBetweenSendAndMark({ IPGATE_DATA_DIR: dataDir });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it.skipIf(postgres?.skip !== false)(
    'sends it again after the restart with the same Message-ID, on PostgreSQL',
    async () => {
      const schema = `ipgate_notify_twice_${randomBytes(6).toString('hex')}`;
      const c = new pg.Client({ connectionString: POSTGRES_TEST_URL });
      const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-notify-twice-pg-'));
      await c.connect();
      try {
        await c.query(`create schema ${schema}`);
        const url = `${POSTGRES_TEST_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        await killBetweenSendAndMark({ DATABASE_URL: url, IPGATE_DATA_DIR: dataDir });
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      }
    },
    90_000,
  );
});
