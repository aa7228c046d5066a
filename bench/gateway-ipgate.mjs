/**
 * ipgate in the gateway benchmark: the full pipeline set up straight through the store (faster than
 * 2,000 API calls, same rows), then `ipgate serve --workers N` started as a user would start it.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '@ipgate/server';
import { startProcess } from './gateway-processes.mjs';

const BIN = fileURLToPath(new URL('../apps/cli/bin/ipgate.js', import.meta.url));
const actor = { actor: 'user:bench' };

/**
 * Creates in a fresh SQLite store under `dataDir`: an API to `upstreamUrl` whose network allowlist is
 * `apiAllow`; a tenant in `manual` mode whose IP list is `tenantAllow`; and a key of that tenant with
 * its IP restriction on, listing 127.0.0.1. Every stage of the pipeline (docs/architecture/pipeline.md) has
 * work.
 *
 * @example
 * const { secret, tenantId } = await setUpIpgate(dir, { upstreamUrl, apiAllow, tenantAllow });
 */
export async function setUpIpgate(dataDir, { upstreamUrl, apiAllow, tenantAllow }) {
  mkdirSync(dataDir, { recursive: true });
  const store = await openSqliteStore({ path: `${dataDir}/ipgate.db` });
  try {
    const api = await store.createApi({ name: 'bench', upstreamUrl }, actor);
    for (const value of apiAllow) await store.addApiAllowlistEntry(api.id, { value }, actor);
    const tenant = await store.createTenant(
      { name: 'bench', ipMode: 'manual', ipEntryLimit: tenantAllow.length + 10 },
      actor,
    );
    for (const value of tenantAllow) await store.addTenantIpEntry(tenant.id, { value }, actor);
    const { key, secret } = await store.createKey(
      tenant.id,
      { name: 'bench', ipRestrictionEnabled: true },
      actor,
    );
    for (const value of ['127.0.0.1', '198.51.100.0/24', '2001:db8::/32'])
      await store.addKeyIpEntry(tenant.id, key.id, { value }, actor);
    return { secret, tenantId: tenant.id, keyId: key.id, apiId: api.id };
  } finally {
    await store.close();
  }
}

/**
 * Starts `ipgate serve` on `dataDir` with `workers` gateway workers; resolves with the gateway URL.
 *
 * @example
 * const ipgate = await startIpgate(dir, 2); // { gatewayUrl, pid, command, stop }
 * // `nodeArgs` go before the script; cluster workers inherit them (the profiler passes --cpu-prof).
 * // `serveArgs` go after `serve`'s own: `['--entry-usage', 'off']`.
 */
export async function startIpgate(dataDir, workers, { nodeArgs = [], serveArgs = [], timeoutMs } = {}) {
  const args = [
    ...nodeArgs,
    BIN,
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--data-dir',
    dataDir,
    '--workers',
    String(workers),
    '--log-level',
    'warn',
    ...serveArgs,
  ];
  const started = await startProcess(
    process.execPath,
    args,
    /gateway \(proxy\): +(http:\/\/\S+)[\s\S]*admin API:/,
    timeoutMs === undefined ? {} : { timeoutMs },
  );
  return {
    gatewayUrl: started.match[1],
    pid: started.child.pid,
    command: `ipgate serve --workers ${workers} --log-level warn${serveArgs.map((a) => ` ${a}`).join('')}`,
    stop: started.stop,
  };
}

/**
 * How many calls the store holds for `address` with the tenant's key (observed addresses), read
 * after ipgate stopped: a count that matches the load generator's shows recording was on throughout.
 *
 * @example
 * await observedCalls(dataDir, tenantId, '127.0.0.1'); // 412345
 */
export async function observedCalls(dataDir, tenantId, address) {
  const store = await openSqliteStore({ path: `${dataDir}/ipgate.db` });
  try {
    const page = await store.listObservedIps(tenantId, undefined, { limit: 500 });
    return page.items.filter((o) => o.address === address).reduce((n, o) => n + o.count, 0);
  } finally {
    await store.close();
  }
}

/**
 * How many allowed requests the store holds in counts for the tenant (`--request-log=denials`),
 * read after ipgate stopped: with the request log keeping denials only, this and
 * {@link observedCalls} agree when every allowed call was counted.
 *
 * @example
 * await countedCalls(dataDir, tenantId); // 412345
 */
export async function countedCalls(dataDir, tenantId) {
  const store = await openSqliteStore({ path: `${dataDir}/ipgate.db` });
  try {
    let total = 0;
    let cursor;
    do {
      const page = await store.listRequestCounts({ tenantId }, { limit: 500, cursor });
      for (const c of page.items) total += c.count;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return total;
  } finally {
    await store.close();
  }
}
