/**
 * The demo part of the start-up banner. It describes the demo tenant's list as it is at this start
 * (someone may have changed it since the demo was made) and labels each curl line with the answer the
 * gateway gives now, from the snapshot it serves with.
 */

import type { Decision } from '@ipgate/core';
import { isIpGateError } from '@ipgate/core';
import type { RulesEngine } from '../snapshot/rules-engine.js';
import type { Store, Tenant } from '../store/store.js';
import type { DemoSetup } from './set-up-demo.js';

/** The two sources the banner shows: this machine, and another loopback address curl can send from. */
const SOURCES = ['127.0.0.1', '127.0.0.2'] as const;

/** How many of the list's entries the banner names before it counts the rest. */
const NAMED_ENTRIES = 4;

/**
 * The banner's demo lines.
 *
 * @example
 * for (const line of await demoBannerLines({ store, engine, demo, gatewayUrl, adminUrl })) io.out(line);
 * // Demo: tenant ten_… allows only 127.0.0.1; its key key_… calls the demo API.
 * //   allowed (from 127.0.0.1):
 * //     curl -i -H 'Authorization: Bearer ipg_live_…' http://127.0.0.1:8080/hello
 * //   denied with 403 (from 127.0.0.2, not on the list):
 * //     curl -i --interface 127.0.0.2 -H 'Authorization: Bearer ipg_live_…' http://127.0.0.1:8080/hello
 */
export async function demoBannerLines(input: {
  readonly store: Store;
  readonly engine: RulesEngine;
  readonly demo: DemoSetup;
  readonly gatewayUrl: string;
  readonly adminUrl: string;
}): Promise<string[]> {
  const { demo, engine } = input;
  const tenant = await input.store.getTenant(demo.tenantId);
  const list = await describeList(input.store, tenant);
  const lines = [`Demo: tenant ${demo.tenantId} ${list}; its key ${demo.keyId} calls the demo API.`];
  const secret = demo.keySecret ?? '<the demo key secret printed at first start>';
  for (const source of SOURCES) {
    let decision: Decision;
    try {
      decision = engine.check({
        address: source,
        apiId: demo.apiId,
        tenantId: demo.tenantId,
        keyId: demo.keyId,
      }).decision;
    } catch (e) {
      // A revoked or deleted demo key or API: say so rather than print a call that cannot work.
      if (!isIpGateError(e)) throw e;
      lines.push(`  (the demo cannot be called: ${e.message})`);
      return lines;
    }
    lines.push(
      decision.allow
        ? `  allowed (from ${source}):`
        : `  denied with ${decision.status} (from ${source}, ${denialReason(decision)}):`,
    );
    const from = source === '127.0.0.1' ? '' : `--interface ${source} `;
    lines.push(`    curl -i ${from}-H 'Authorization: Bearer ${secret}' ${input.gatewayUrl}/hello`);
  }
  if (demo.keySecret === undefined) {
    lines.push(
      `  (a new secret: curl -X POST -H 'Authorization: Bearer <owner token>' ${input.adminUrl}/v1/tenants/${demo.tenantId}/keys/${demo.keyId}/rotate)`,
    );
  }
  return lines;
}

/** "allows only 127.0.0.1", "allows 127.0.0.1 and 127.0.0.2", "allows no address (…)", … */
async function describeList(store: Store, tenant: Tenant): Promise<string> {
  if (tenant.ipMode === 'off') return 'has its IP restriction off (any address may call)';
  const now = Date.now();
  // As the snapshot compiles it: disabled and expired entries do not let anyone in.
  const entries = (await store.listTenantIpEntries(tenant.id))
    .filter((e) => e.enabled && (e.expiresAt === null || e.expiresAt.getTime() > now))
    .map((e) => e.canonical);
  if (entries.length === 0) return 'allows no address (its list is empty)';
  if (entries.length === 1) return `allows only ${entries[0]}`;
  if (entries.length <= NAMED_ENTRIES) {
    return `allows ${entries.slice(0, -1).join(', ')} and ${entries[entries.length - 1]}`;
  }
  const rest = entries.length - NAMED_ENTRIES + 1;
  return `allows ${entries.slice(0, NAMED_ENTRIES - 1).join(', ')} and ${rest} more entries`;
}

/** The denial in the banner's words; reasons the demo's own rules cannot give keep their code. */
function denialReason(decision: Decision): string {
  switch (decision.reason) {
    case 'tenant-ip-not-listed':
    case 'tenant-list-empty':
      return 'not on the list';
    case 'key-ip-not-listed':
      return "not on the key's list";
    case 'api-allowlist-not-listed':
      return "not on the API's allowlist";
    default:
      return decision.reason;
  }
}
