import type { Store } from '../store/store.js';

/** What the demo set-up made; the key's secret only on the run that created it. */
export interface DemoSetup {
  readonly created: boolean;
  readonly tenantId: string;
  readonly keyId: string;
  readonly apiId: string;
  /** Shown once, like every key secret. */
  readonly keySecret: string | undefined;
}

const DEMO_TENANT = 'Demo Co';
const ACTOR = 'system:demo';

/**
 * On a store with no tenants, creates the demo of `npm start`: a tenant in `manual` mode whose IP list
 * holds only 127.0.0.1 (so a call from 127.0.0.1 passes and one from 127.0.0.2 is denied), a key, and an
 * API at `/` in front of the demo upstream, and an email channel for the owner (owner@example.com). On a store that already has tenants it changes nothing and
 * reports the existing demo, if there is one.
 *
 * @example
 * const demo = await setUpDemo(store, { upstreamUrl: 'http://127.0.0.1:8082' });
 * if (demo?.keySecret) console.log(`curl -H 'Authorization: Bearer ${demo.keySecret}' http://127.0.0.1:8080/hello`);
 */
export async function setUpDemo(
  store: Store,
  options: { readonly upstreamUrl: string },
): Promise<DemoSetup | undefined> {
  const tenants = await store.listTenants({ limit: 2 });
  if (tenants.items.length > 0) return findExistingDemo(store);
  const tenant = await store.createTenant({ name: DEMO_TENANT, ipMode: 'manual' }, { actor: ACTOR });
  await store.addTenantIpEntry(
    tenant.id,
    { value: '127.0.0.1', name: 'this machine (demo)', reason: 'set up by npm start' },
    { actor: ACTOR },
  );
  const { key, secret } = await store.createKey(tenant.id, { name: 'demo key' }, { actor: ACTOR });
  // Without --smtp-url its emails land in the outbox (GET /v1/tenants/{id}/outbox): the whole review
  // flow — denied call, email, one-click link — with nothing else installed.
  await store.notifications.createChannel(
    tenant.id,
    { kind: 'email', name: 'demo owner', target: 'owner@example.com' },
    { actor: ACTOR },
  );
  const api = await store.createApi(
    { name: 'demo API', pathPrefix: '/', upstreamUrl: options.upstreamUrl, authHeader: 'authorization' },
    { actor: ACTOR },
  );
  return { created: true, tenantId: tenant.id, keyId: key.id, apiId: api.id, keySecret: secret };
}

async function findExistingDemo(store: Store): Promise<DemoSetup | undefined> {
  const tenant = (await store.listTenants({ limit: 500 })).items.find((t) => t.name === DEMO_TENANT);
  if (tenant === undefined) return undefined;
  const key = (await store.listKeys(tenant.id, { limit: 500 })).items.find((k) => k.name === 'demo key');
  const api = (await store.listApis({ limit: 500 })).items.find((a) => a.name === 'demo API');
  if (key === undefined || api === undefined) return undefined;
  return { created: false, tenantId: tenant.id, keyId: key.id, apiId: api.id, keySecret: undefined };
}
