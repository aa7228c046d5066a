/**
 * The middlewares' decision table (packages/node: the one every adapter, `httpGate` and `netGuard`
 * answers) run through the gateway: a row's list becomes a tenant's IP list in `manual` mode (where,
 * as in a middleware's list, empty denies everyone), its client-address setting the gateway's
 * strategy, its source the socket the client really sends from. The gateway and every middleware
 * must give the same answer; the decision endpoint is held to the gateway by its own table
 * (`proxy-decision/decision-table.test.ts`).
 */
import { clientAddressStrategy } from '@ipgate/core';
import { decisionCases } from '@ipgate/test-support/decision-cases';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecorder } from '../records/recorder.js';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { send, startEcho } from './gateway.test-support.js';
import { type Gateway, startGateway } from './start-gateway.js';

const actor = { actor: 'test' };
let echo: Awaited<ReturnType<typeof startEcho>>;
let store: Store;
let engine: SnapshotEngine;
let recorder: ReturnType<typeof createRecorder>;
const gateways = new Map<string, Gateway>();
const secrets: string[] = [];

beforeAll(async () => {
  echo = await startEcho();
  store = await openSqliteStore({ path: ':memory:' });
  await store.createApi({ name: 'all', pathPrefix: '/', upstreamUrl: echo.url }, actor);
  // One tenant and key per row, so each row's list is exactly its own.
  for (const [i, c] of decisionCases.entries()) {
    const tenant = await store.createTenant({ name: `row ${i}`, ipMode: 'manual' }, actor);
    for (const value of c.allow) await store.addTenantIpEntry(tenant.id, { value }, actor);
    secrets.push((await store.createKey(tenant.id, { name: `row ${i}` }, actor)).secret);
  }
  engine = createSnapshotEngine({ store });
  await engine.refresh();
  recorder = createRecorder({ store, flushIntervalMs: 60_000 });
  // One gateway per client-address setting in the table, listening on both stacks like the adapters.
  for (const c of decisionCases) {
    const key = JSON.stringify(c.clientAddress ?? { mode: 'socket' });
    if (gateways.has(key)) continue;
    gateways.set(
      key,
      await startGateway({
        engine,
        recorder,
        clientAddress: clientAddressStrategy(c.clientAddress ?? { mode: 'socket' }),
        host: '::',
        port: 0,
        upstreamTimeoutMs: 2000,
      }),
    );
  }
});

afterAll(async () => {
  for (const g of gateways.values()) await g.close();
  await recorder?.close();
  engine?.close();
  await store?.close();
  await echo?.close();
});

describe('the middlewares’ decision table, through the gateway', () => {
  it.each(decisionCases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const gateway = gateways.get(JSON.stringify(c.clientAddress ?? { mode: 'socket' })) as Gateway;
    const r = await send(Number(new URL(gateway.url).port), {
      path: '/thing',
      from: c.source,
      to: c.source === '::1' ? '::1' : '127.0.0.1',
      headers: { ...c.headers, authorization: `Bearer ${secrets[i]}` },
    });
    expect(r.status, r.text).toBe(c.status);
  });
});
