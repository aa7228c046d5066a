import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpAddress } from '@ipgate/core';
import { FakeRulesServer, until } from '@ipgate/test-support/fake-rules-server';
import { close, listen, send } from '@ipgate/test-support/sockets';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGate } from './gate.js';
import { httpGate } from './http-gate.js';
import { type LiveRules, liveRules } from './live-rules.js';

const TOKEN = 'tok_live_test';
const FAST = { backoff: { initialMs: 20, maxMs: 100 }, startTimeoutMs: 1000 } as const;

let dir: string;
let fake: FakeRulesServer;
let app: Server | undefined;
const sources: LiveRules[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ipgate-live-'));
  fake = new FakeRulesServer(TOKEN, { kind: 'api', apiId: 'api_1' });
});
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
  if (app) await close(app);
  app = undefined;
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

function follow(
  port: number,
  extra: Partial<Parameters<typeof liveRules>[0]> = {},
): { rules: LiveRules; errors: Error[] } {
  const errors: Error[] = [];
  const rules = liveRules({
    url: `http://127.0.0.1:${port}`,
    token: TOKEN,
    scope: { apiId: 'api_1' },
    onError: (e) => errors.push(e),
    ...FAST,
    ...extra,
  });
  sources.push(rules);
  return { rules, errors };
}

async function serveWith(rules: LiveRules): Promise<number> {
  const gate = httpGate({ allow: rules });
  app = createServer((req, res) => {
    if (gate(req, res)) res.end('ok');
  });
  return listen(app);
}

/** A port nothing listens on: start a server, note its port, stop it. */
async function deadPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

describe('liveRules against a server speaking the rules protocol', () => {
  it('fetches with the bearer token, then long-polls with If-None-Match and wait=25', async () => {
    fake.set(['127.0.0.2']);
    const port = await fake.start();
    const { rules } = follow(port, { waitSeconds: 25 });
    expect(await rules.ready).toEqual({ from: 'server' });
    expect(rules.current()?.version).toBe(2);
    await until(() => fake.requests.length >= 2);
    expect(fake.requests[0]).toEqual({
      url: '/v1/rules/apis/api_1',
      ifNoneMatch: undefined,
      authorization: `Bearer ${TOKEN}`,
    });
    expect(fake.requests[1]).toMatchObject({ url: '/v1/rules/apis/api_1?wait=25', ifNoneMatch: '"2"' });
  });

  it('a change on the server reaches a running gate within 1 s', async () => {
    fake.set(['127.0.0.2']);
    const port = await fake.start();
    const { rules } = follow(port);
    await rules.ready;
    const appPort = await serveWith(rules);
    expect((await send(appPort, '127.0.0.3')).status).toBe(403);
    await until(() => fake.requests.length >= 2); // the long poll is waiting
    const changed = performance.now();
    fake.set(['127.0.0.2', '127.0.0.3']);
    await until(() => rules.current()?.version === 3, 1000);
    expect((await send(appPort, '127.0.0.3')).status).toBe(200);
    expect(performance.now() - changed).toBeLessThan(1000);
  });

  it('the server going away leaves the last good rules in force; it comes back and is followed again', async () => {
    fake.set(['127.0.0.2']);
    const port = await fake.start();
    const { rules, errors } = follow(port);
    await rules.ready;
    const appPort = await serveWith(rules);
    await fake.stop();
    await until(() => errors.length >= 2);
    expect(errors.some((e) => /cannot reach/.test(e.message))).toBe(true);
    expect((await send(appPort, '127.0.0.2')).status).toBe(200);
    expect((await send(appPort, '127.0.0.3')).status).toBe(403);
    fake.set(['127.0.0.3']);
    await fake.start(port);
    await until(() => rules.current()?.version === 3, 2000);
    expect((await send(appPort, '127.0.0.2')).status).toBe(403);
    expect((await send(appPort, '127.0.0.3')).status).toBe(200);
  });

  it('writes every good document to the cache file atomically, and a restart without the server starts from it', async () => {
    const cacheFile = join(dir, 'rules.json');
    fake.set(['127.0.0.2']);
    const port = await fake.start();
    const first = follow(port, { cacheFile });
    await first.rules.ready;
    await until(() => fake.requests.length >= 2);
    fake.set(['127.0.0.3']);
    await until(() => {
      try {
        return JSON.parse(readFileSync(cacheFile, 'utf8')).version === 3;
      } catch {
        return false;
      }
    });
    expect(readdirSync(dir)).toEqual(['rules.json']); // no temporary file left behind
    await first.rules.close();
    await fake.stop();

    const restarted = follow(port, { cacheFile });
    expect(await restarted.rules.ready).toEqual({ from: 'cache' });
    const appPort = await serveWith(restarted.rules);
    expect((await send(appPort, '127.0.0.3')).status).toBe(200);
    expect((await send(appPort, '127.0.0.2')).status).toBe(403);
  });

  it('with neither server nor cache it denies everyone until the server answers', async () => {
    const port = await deadPort();
    const { rules } = follow(port, { cacheFile: join(dir, 'missing.json') });
    expect(await rules.ready).toEqual({ from: 'none' });
    const appPort = await serveWith(rules);
    expect((await send(appPort, '127.0.0.2')).status).toBe(403);
    const waiting = createGate({ allow: rules }).check({ remoteAddress: '127.0.0.2', headers: {} });
    expect(waiting.decision.reason).toBe('rules-not-loaded');
    fake.set(['127.0.0.2']);
    await fake.start(port);
    await until(() => rules.current() !== undefined, 2000);
    expect((await send(appPort, '127.0.0.2')).status).toBe(200);
  });

  it('a refused document (bad entry, other scope, not JSON, 401) keeps the last good rules and is reported', async () => {
    fake.set(['127.0.0.2']);
    const port = await fake.start();
    const { rules, errors } = follow(port);
    await rules.ready;
    const doc = { ...fake.document(), version: 9 };
    const bad = [
      {
        status: 200,
        body: JSON.stringify({ ...doc, entries: [{ id: 'e', name: 'n', value: '10.0.0.1/8' }] }),
      },
      { status: 200, body: JSON.stringify({ ...doc, scope: { kind: 'api', apiId: 'api_2' } }) },
      { status: 200, body: '<html>' },
      { status: 200, body: JSON.stringify({ ...doc, format: 'ipgate.rules/2' }) },
    ];
    for (const answer of bad) {
      const before = errors.length;
      fake.override = answer;
      fake.set(['0.0.0.0/0']); // wakes the poll, which then gets the override
      await until(() => errors.length > before);
      expect(rules.current()?.version).toBe(2);
      expect(rules.current()?.decide(IpAddress.parse('127.0.0.3')).allow).toBe(false);
    }
    expect(errors.map((e) => e.message).join('\n')).toMatch(
      /host bits[\s\S]*api_2[\s\S]*not JSON[\s\S]*format must be/,
    );
  });

  it('a server that answers "unchanged" without holding the poll is asked at most once a second', async () => {
    fake.set(['127.0.0.2']);
    const port = await fake.start();
    const { rules } = follow(port);
    await rules.ready;
    fake.override = { status: 200, body: JSON.stringify(fake.document()) }; // same version, at once
    fake.set(['127.0.0.2']); // wake the waiting poll into the override
    const from = fake.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(fake.requests.length - from).toBeLessThanOrEqual(2);
    expect(rules.current()?.version).toBe(2);
  });

  it('a wrong token is reported with what to fix, and the gate stays closed', async () => {
    const port = await fake.start();
    const { rules, errors } = follow(port, { token: 'wrong' });
    expect(await rules.ready).toEqual({ from: 'none' });
    expect(errors[0]?.message).toMatch(/answered 401: the token is missing, wrong or not allowed/);
    expect(errors.map((e) => e.message).join()).not.toContain('Bearer'); // the token is never logged
  });

  it('tenant scope: an empty list in manual mode denies, mode off allows everyone', async () => {
    fake = new FakeRulesServer(TOKEN, { kind: 'tenant', tenantId: 'ten_1', mode: 'manual' });
    const port = await fake.start();
    const { rules } = follow(port, { scope: { tenantId: 'ten_1' } });
    await rules.ready;
    const appPort = await serveWith(rules);
    expect((await send(appPort, '127.0.0.2')).status).toBe(403);
    await until(() => fake.requests.length >= 2);
    fake.set([], { kind: 'tenant', tenantId: 'ten_1', mode: 'off' });
    await until(() => rules.current()?.version === 2, 1000);
    expect((await send(appPort, '127.0.0.2')).status).toBe(200);
  });

  it('an API scope with an empty list lets everyone through (an empty API allowlist is open)', async () => {
    const port = await fake.start();
    const { rules } = follow(port);
    await rules.ready;
    const appPort = await serveWith(rules);
    expect((await send(appPort, '::1')).status).toBe(200);
  });

  it('refuses bad settings at once', () => {
    const base = { url: 'http://127.0.0.1:1', token: 't', scope: { apiId: 'a' } };
    expect(() => liveRules({ ...base, url: 'ftp://x' })).toThrow(/http or https/);
    expect(() => liveRules({ ...base, token: ' ' })).toThrow(/token is missing/);
    expect(() => liveRules({ ...base, scope: { apiId: 'a', tenantId: 'b' } as never })).toThrow(
      /exactly one/,
    );
    expect(() => liveRules({ ...base, waitSeconds: 0 })).toThrow(/waitSeconds/);
  });
});
