/**
 * ipgate nodes for the scale benchmark: `ipgate serve` processes of a chosen checkout on a seeded
 * store, and the management API calls the benchmark makes against them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess } from '../gateway-processes.mjs';
import { BENCH_OWNER_TOKEN } from './seed.mjs';

/**
 * Starts `ipgate serve` from `root` on `store` (its `flags`: dataDir or databaseUrl) and resolves once
 * both listeners are up, with their URLs, the process and how to stop it. `nodeArgs` go to node
 * itself (V8 flags), `extraArgs` to `ipgate serve`.
 */
export async function startNode(
  root,
  store,
  { cpu, timeoutMs = 120_000, extraArgs = [], nodeArgs = [] } = {},
) {
  const args = [
    ...nodeArgs,
    join(root, 'apps/cli/bin/ipgate.js'),
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--log-level',
    'warn',
    ...(store.flags.dataDir === undefined ? [] : ['--data-dir', store.flags.dataDir]),
    ...(store.flags.databaseUrl === undefined ? [] : ['--database-url', store.flags.databaseUrl]),
    ...extraArgs,
  ];
  const command = cpu === undefined ? process.execPath : 'taskset';
  const argv = cpu === undefined ? args : ['-c', String(cpu), process.execPath, ...args];
  const started = Date.now();
  const proc = await startProcess(command, argv, /admin API:\s+(http:\/\/\S+)\/v1/, { timeoutMs });
  const gateway = /gateway \(proxy\):\s+(http:\/\/\S+)/.exec(proc.output())?.[1];
  return { ...proc, adminUrl: proc.match[1], gatewayUrl: gateway, startMs: Date.now() - started };
}

const auth = { authorization: `Bearer ${BENCH_OWNER_TOKEN}`, 'content-type': 'application/json' };

/** Adds an entry to a tenant's list through the management API; resolves with its id and the time. */
export async function addEntry(adminUrl, tenantId, value) {
  const started = process.hrtime.bigint();
  const res = await fetch(`${adminUrl}/v1/tenants/${tenantId}/ip-restriction/entries`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ value, name: 'bench write', confirmLockout: true }),
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const body = await res.json();
  if (res.status !== 201)
    throw new Error(`add ${value} to ${tenantId}: ${res.status} ${JSON.stringify(body)}`);
  return { id: body.id, ms };
}

/** Removes an entry; resolves with the time the write took. */
export async function removeEntry(adminUrl, tenantId, entryId) {
  const started = process.hrtime.bigint();
  const res = await fetch(
    `${adminUrl}/v1/tenants/${tenantId}/ip-restriction/entries/${entryId}?confirmLockout=true`,
    { method: 'DELETE', headers: { authorization: auth.authorization } },
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 204)
    throw new Error(`remove ${entryId} of ${tenantId}: ${res.status} ${await res.text()}`);
  return { ms };
}

/** Whether the node would let `address` call as tenant `tenantId` now (its check endpoint). */
export async function allows(adminUrl, tenantId, address) {
  const res = await fetch(`${adminUrl}/v1/tenants/${tenantId}/check`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ address }),
  });
  const body = await res.json();
  if (res.status !== 200)
    throw new Error(`check ${address} for ${tenantId}: ${res.status} ${JSON.stringify(body)}`);
  return body.allow === true;
}

/** A fresh address for a benchmark write: 100.64.0.0/10 (shared address space), unique per `n`. */
export function writeAddress(n) {
  const v = 0x64400000 + (n % 0x3fffff);
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Resident memory of a node's process now and at its most (MB), from the kernel. */
export function residentMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024);
  return { rssMb: mb('VmRSS'), peakRssMb: mb('VmHWM') };
}
