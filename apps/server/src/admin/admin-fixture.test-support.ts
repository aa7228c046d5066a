/**
 * A management app over a real store and the real snapshot engine, seeded with two tenants (A and B),
 * each with an IP entry, a key with restrictions, an observed address and a logged request, plus an
 * API with an allowlist entry, and admin tokens of every role and scope.
 */
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Role, Store } from '../store/store.js';
import type { StoreFactory } from '../store/test-stores.test-support.js';
import { type AdminAppOptions, buildAdminApp } from './app.js';
import type { AdminApp } from './routes/context.js';

/** The ids of one seeded tenant. */
export interface SeededTenant {
  readonly tenantId: string;
  readonly entryId: string;
  readonly keyId: string;
  readonly keyIpId: string;
  readonly keyDomainId: string;
  readonly observedId: string;
  readonly requestId: string;
  readonly channelId: string;
}

/** Everything a test needs. */
export interface AdminFixture {
  readonly app: AdminApp;
  readonly store: Store;
  readonly engine: SnapshotEngine;
  readonly a: SeededTenant;
  readonly b: SeededTenant;
  readonly apiId: string;
  readonly apiEntryId: string;
  /** Bearer secrets: `all.owner`, `a.viewer`, … */
  readonly tokens: Record<'all' | 'a' | 'b', Record<Role, string>>;
  /** The principal ids of tenant B's tokens, for the token routes. */
  readonly bTokenId: string;
  close(): Promise<void>;
}

const actor = { actor: 'test:fixture' };

/**
 * Opens a fixture on a fresh store of the factory.
 *
 * @example
 * const f = await openAdminFixture(sqliteFactory());
 * const res = await f.app.inject({ url: `/v1/tenants/${f.a.tenantId}`, headers: bearer(f.tokens.a.viewer) });
 */
export async function openAdminFixture(
  factory: StoreFactory,
  options: {
    /** With it, the authentication backoff is on and waits through this (and `now`, if given). */
    readonly sleep?: (ms: number) => Promise<void>;
    readonly now?: () => number;
    /** More options of the app (the channel test's transports, private webhooks). */
    readonly app?: Partial<Omit<AdminAppOptions, 'store' | 'engine'>>;
  } = {},
): Promise<AdminFixture> {
  const store = await factory.open();
  const engine = createSnapshotEngine({ store });
  const seed = async (name: string, octet: number): Promise<SeededTenant> => {
    const tenant = await store.createTenant({ name, ipMode: 'manual' }, actor);
    const entry = await store.addTenantIpEntry(
      tenant.id,
      { value: `203.0.113.${octet}`, name: 'office' },
      actor,
    );
    const { key } = await store.createKey(tenant.id, { name: 'ci', ipRestrictionEnabled: true }, actor);
    const keyIp = await store.addKeyIpEntry(tenant.id, key.id, { value: `198.51.100.${octet}` }, actor);
    const keyDomain = await store.addKeyDomainEntry(
      tenant.id,
      key.id,
      { value: `${name}.example.com` },
      actor,
    );
    const { channel } = await store.notifications.createChannel(
      tenant.id,
      { kind: 'email', name: 'owner', target: `owner@${name}.example.com` },
      actor,
    );
    const at = new Date();
    await store.recordObservations([
      {
        tenantId: tenant.id,
        keyId: key.id,
        address: `192.0.2.${octet}`,
        firstAt: at,
        lastAt: at,
        count: 1,
        status: 'pending',
      },
    ]);
    const observed = await store.listObservedIps(tenant.id);
    const requestId = `req_${name}`;
    await store.appendRequests([
      {
        requestId,
        at,
        tenantId: tenant.id,
        apiId: null,
        keyId: key.id,
        client: `192.0.2.${octet}`,
        method: 'GET',
        path: '/x',
        status: 403,
        decision: 'deny',
        stage: 'tenant-restriction',
        reason: 'tenant-ip-not-listed',
        latencyMs: 1,
      },
    ]);
    return {
      tenantId: tenant.id,
      entryId: entry.id,
      keyId: key.id,
      keyIpId: keyIp.id,
      keyDomainId: keyDomain.id,
      observedId: observed.items[0]?.id ?? 'missing',
      requestId,
      channelId: channel.id,
    };
  };
  const a = await seed('a', 1);
  const b = await seed('b', 2);
  const api = await store.createApi(
    { name: 'orders', pathPrefix: '/orders', upstreamUrl: 'http://127.0.0.1:9' },
    actor,
  );
  const apiEntry = await store.addApiAllowlistEntry(api.id, { value: '127.0.0.0/8' }, actor);

  const roles: Role[] = ['viewer', 'editor', 'owner'];
  const tokens = { all: {}, a: {}, b: {} } as Record<'all' | 'a' | 'b', Record<Role, string>>;
  let bTokenId = '';
  for (const [scope, tenantId] of [
    ['all', null],
    ['a', a.tenantId],
    ['b', b.tenantId],
  ] as const) {
    for (const role of roles) {
      const { principal, secret } = await store.createToken(
        { name: `${scope}-${role}`, role, tenantId },
        actor,
      );
      tokens[scope][role] = secret;
      if (scope === 'b') bTokenId = principal.id;
    }
  }
  await engine.refresh();
  // The matrix sends many bad tokens from one address; the backoff is tested on its own (an endless
  // free allowance turns it off).
  const app = await buildAdminApp({
    ...options.app,
    store,
    engine,
    authBackoff:
      options.sleep === undefined
        ? { freeFailures: Number.POSITIVE_INFINITY }
        : { sleep: options.sleep, now: options.now },
  });
  await app.ready();
  return {
    app,
    store,
    engine,
    a,
    b,
    apiId: api.id,
    apiEntryId: apiEntry.id,
    tokens,
    bTokenId,
    close: async () => {
      await app.close();
      engine.close();
      await store.close();
    },
  };
}

/**
 * The Authorization header of a token.
 *
 * @example
 * app.inject({ url: '/v1/tenants', headers: bearer(secret) });
 */
export function bearer(secret: string): { authorization: string } {
  return { authorization: `Bearer ${secret}` };
}
