/**
 * The middlewares' decision table (packages/node) through the decision endpoint, as nginx asks it:
 * the rows that trust no proxy in front of the application (for the others the "proxy" of the row
 * would be nginx itself). nginx at 127.0.0.1 is the one trusted proxy; it appends the address it saw
 * to whatever X-Forwarded-For the client sent (`$proxy_add_x_forwarded_for`), so a spoofed header
 * from the client must change nothing. With `gateway/middleware-table.test.ts`, every adapter, the
 * gateway and the decision endpoint answer the same table alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decisionCases } from '@ipgate/test-support/decision-cases';
import { SuiteResources } from '@ipgate/test-support/suite-resources';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../config/load-settings.js';
import { type RunningServer, startServer } from '../serve.js';
import { openSqliteStore } from '../store/sqlite.js';

const rows = decisionCases.filter((c) => c.clientAddress === undefined);
const actor = { actor: 'test' };
let dataDir: string;
let server: RunningServer;
let nginx: Agent;
const secrets: string[] = [];
const started = new SuiteResources();

beforeAll(async () => {
  dataDir = await started.add(
    mkdtempSync(join(tmpdir(), 'ipgate-decide-table-')),
    (dir) => rmSync(dir, { recursive: true, force: true }),
    'the data dir',
  );
  const store = await openSqliteStore({ path: join(dataDir, 'ipgate.db') });
  try {
    // The upstream is never called by the decision endpoint; the API only has to route.
    await store.createApi({ name: 'all', pathPrefix: '/', upstreamUrl: 'http://127.0.0.1:9' }, actor);
    for (const [i, c] of rows.entries()) {
      const tenant = await store.createTenant({ name: `row ${i}`, ipMode: 'manual' }, actor);
      for (const value of c.allow) await store.addTenantIpEntry(tenant.id, { value }, actor);
      secrets.push((await store.createKey(tenant.id, { name: `row ${i}` }, actor)).secret);
    }
  } finally {
    await store.close();
  }
  server = await started.add(
    startServer(
      loadSettings({
        flags: {
          listen: '127.0.0.1:0',
          adminListen: '127.0.0.1:0',
          dataDir,
          trustProxy: '127.0.0.1',
          logLevel: 'silent',
        },
      }),
      { out: () => undefined, flush: async () => undefined },
    ),
    (running) => running.close(),
    'ipgate',
  );
  nginx = await started.add(new Agent({ localAddress: '127.0.0.1' }), (agent) => agent.close(), 'the agent');
}, 120_000);

afterAll(() => started.closeAll());

describe('the middlewares’ decision table, through the decision endpoint (nginx auth_request)', () => {
  it.each(rows.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const sent = c.headers?.['x-forwarded-for'];
    const res = await request(`${server.adminUrl}/v1/decide/nginx`, {
      dispatcher: nginx,
      headers: {
        ...c.headers,
        'x-original-uri': '/thing',
        'x-original-method': 'GET',
        'x-forwarded-for': sent === undefined ? c.source : `${sent}, ${c.source}`,
        authorization: `Bearer ${secrets[i]}`,
      },
    });
    const text = await res.body.text();
    expect(res.statusCode, text).toBe(c.status === 200 ? 204 : 403);
  });
});
