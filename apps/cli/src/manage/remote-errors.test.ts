import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli.test-support.js';
import { type ManagedServer, startManagedServer } from './managed-server.test-support.js';

// Each test runs the real binary several times; on a loaded machine one start takes seconds.
let s: ManagedServer;
/** A port nothing listens on. */
let closedUrl: string;
/** An HTTP server that answers what each test sets, for answers a healthy ipgate never gives. */
let other: Server;
let otherUrl: string;
let answer: { status: number; type: string; body: string } = { status: 200, type: 'text/plain', body: '' };

/** Closed by afterAll, also when beforeAll outlasts its timeout under load. */
const started = new SuiteResources();

beforeAll(async () => {
  await ensureBuilt();
  s = await started.add(startManagedServer(), (server) => server.close(), 'ipgate');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  other = createServer((req, res) => {
    req.resume();
    res.writeHead(answer.status, { 'content-type': answer.type });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  await started.add(
    other,
    (server) =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    'the other server',
  );
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
}, 180_000);

afterAll(() => started.closeAll());

describe('errors of the management commands, and their exit codes', { timeout: 120_000 }, () => {
  it('no IPGATE_TOKEN: says how to set it, before any request (exit 2)', async () => {
    const r = await s.ipgate(['tenants', 'list'], { IPGATE_TOKEN: undefined, IPGATE_SERVER: closedUrl });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: IPGATE_TOKEN is not set');
    expect(r.stderr).toContain('hint: export IPGATE_TOKEN=ipg_adm_…');
    const json = await s.json(['tenants', 'list'], { IPGATE_TOKEN: '' });
    expect(json.code).toBe(2);
    expect(json.body).toMatchObject({
      error: { code: 'IPG_CONFIG_INVALID', field: 'IPGATE_TOKEN', status: null },
    });
  });

  it('the token is never a flag', async () => {
    const r = await s.ipgate(['tenants', 'list', '--token', s.ownerToken]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--token'");
  });

  it('a token the server does not know: 401 says to set IPGATE_TOKEN (exit 1)', async () => {
    const r = await s.ipgate(['tenants', 'list'], { IPGATE_TOKEN: 'ipg_adm_not-a-real-token' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: The admin token is not valid.');
    expect(r.stderr).toContain(`hint: The server at ${s.adminUrl} does not know the token in IPGATE_TOKEN`);
    expect(r.stderr).toContain('(IPG_AUTH_REQUIRED, HTTP 401)');
    const key = await s.ipgate(['tenants', 'list'], { IPGATE_TOKEN: 'ipg_live_somekeysecret' });
    expect(key.stderr).toContain('IPGATE_TOKEN holds an API key (ipg_live_…), not an admin token');
  });

  it('a token whose role is too low: 403 with the role named (exit 1)', async () => {
    const { secret } = await s.api<{ secret: string }>('POST', '/v1/tokens', {
      name: 'reader',
      role: 'viewer',
    });
    const read = await s.ipgate(['tenants', 'list'], { IPGATE_TOKEN: secret });
    expect(read.code, read.stderr).toBe(0);
    const write = await s.ipgate(['tenants', 'create', 'Nope'], { IPGATE_TOKEN: secret });
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('error: This needs the editor role; the token has viewer.');
    expect(write.stderr).toContain('(IPG_ROLE_FORBIDDEN, HTTP 403)');
  });

  it('nothing listening: names the URL and says ipgate serve is not running there (exit 3)', async () => {
    const r = await s.ipgate(['tenants', 'list', '--server', closedUrl]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error: Cannot connect to ${closedUrl}: connection refused.`);
    expect(r.stderr).toContain('hint: ipgate serve is not running there.');
    expect(r.stderr).toContain('(IPG_SERVER_UNREACHABLE)');
    const json = await s.json(['entries', 'list', '--tenant', 'ten_1'], { IPGATE_SERVER: closedUrl });
    expect(json.code).toBe(3);
    expect(json.body).toMatchObject({ error: { code: 'IPG_SERVER_UNREACHABLE', status: null } });
  });

  it("the gateway's port instead of the admin listener: says which listener to use (exit 3)", async () => {
    const r = await s.ipgate(['tenants', 'list', '--server', s.server.gatewayUrl]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "with something that is not ipgate's management API (it looks like the gateway)",
    );
    expect(r.stderr).toContain('not at the gateway (--listen)');
  });

  it('a server that is not ipgate, or answers HTML, or fails with 500 or 503: exit 3', async () => {
    answer = { status: 200, type: 'text/html', body: '<html>hello</html>' };
    const html = await s.ipgate(['tenants', 'list', '--server', otherUrl]);
    expect(html.code).toBe(3);
    expect(html.stderr).toContain("answered 200 with something that is not ipgate's management API");

    answer = {
      status: 500,
      type: 'application/json',
      body: JSON.stringify({
        error: { code: 'IPG_INTERNAL_ERROR', message: 'Something went wrong on the server (request 7).' },
      }),
    };
    const failing = await s.ipgate(['tenants', 'list', '--server', otherUrl]);
    expect(failing.code).toBe(3);
    expect(failing.stderr).toContain('error: Something went wrong on the server (request 7).');

    answer = {
      status: 503,
      type: 'application/json',
      body: JSON.stringify({
        error: { code: 'IPG_STORE_UNAVAILABLE', message: 'The store cannot be reached.' },
      }),
    };
    const store = await s.ipgate(['tenants', 'list', '--server', otherUrl]);
    expect(store.code).toBe(3);
    expect(store.stderr).toContain('cannot reach its database; its last good rules stay in force');
  });

  it('a server answer with terminal control sequences in its message is printed escaped', async () => {
    answer = {
      status: 409,
      type: 'application/json',
      body: JSON.stringify({
        error: { code: 'IPG_ALREADY_EXISTS', message: 'exists\u001b[2J\u001b]0;x\u0007' },
      }),
    };
    const r = await s.ipgate(['tenants', 'create', 'x', '--server', otherUrl]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: exists\\u001b[2J\\u001b]0;x\\u0007');
    expect(r.stderr).not.toMatch(/\u001b/);
  });

  it.each([
    ['ftp://127.0.0.1:8081', 'uses ftp, not http or https'],
    ['127.0.0.1:8081', 'is not a URL'],
    ['http://admin:pw@127.0.0.1:8081', 'carries a user name or password'],
  ])('--server %s is bad input (exit 2)', async (server, message) => {
    const r = await s.ipgate(['tenants', 'list', '--server', server]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('field: --server');
  });

  it('accepts the admin URL as the banner prints it, with /v1, and IPGATE_SERVER', async () => {
    const r = await s.ipgate(['tenants', 'list', '--server', `${s.adminUrl}/v1/`]);
    expect(r.code, r.stderr).toBe(0);
    const env = await s.ipgate(['tenants', 'list'], { IPGATE_SERVER: `${s.adminUrl}/v1` });
    expect(env.code, env.stderr).toBe(0);
  });
});
