/**
 * The gateway cases: one table for the gateway and the decision endpoint alike — the rules to seed
 * (tenants, APIs, keys) and requests — source address, key, Origin/Referer, path — with the answer the
 * pipeline gives (docs/architecture/pipeline.md). Not the adapters' `DecisionCase` table of
 * @ipgate/test-support, which is about an IP list alone.
 *
 * Every source address is in 127.0.0.0/8, so a test can send from it for real (undici
 * `new Agent({ localAddress })`) or, behind a trusted proxy, name it in `X-Forwarded-For`.
 */
import type { Store } from '../store/store.js';

/** The keys the world has; `unknown` is a secret that matches no key. */
export type CaseKey = 'plain' | 'domainOnly' | 'blocked' | 'both' | 'browser' | 'unknown';

/** One request and the answer the rules give it. */
export interface GatewayCase {
  readonly name: string;
  /** The client's address. */
  readonly from: '127.0.0.2' | '127.0.0.3';
  readonly path: string;
  /** Which key the request carries, and in which header; absent: none. */
  readonly key?: { readonly key: CaseKey; readonly header: 'authorization' | 'x-api-key' } | undefined;
  readonly origin?: string | undefined;
  readonly referer?: string | undefined;
  /** `allow`, or the status of the denial (401 key, 403 rules, 404 no route). */
  readonly expected: 'allow' | 401 | 403 | 404;
}

/** What {@link seedGatewayWorld} made: the secret of every key, and ids for follow-up changes. */
export interface GatewayWorld {
  readonly secrets: Readonly<Record<CaseKey, string>>;
  readonly tenants: {
    readonly plain: string;
    readonly domainOnly: string;
    readonly blocked: string;
    readonly both: string;
    readonly browser: string;
  };
  readonly apis: { readonly orders: string; readonly internal: string };
}

const actor = { actor: 'test:decision-cases' };

/**
 * Seeds the rules the table is about, through the store (before the server starts, or while it runs
 * followed by a refresh):
 * - API `orders` at `/orders` (Authorization: Bearer), empty allowlist: everyone reaches authentication;
 * - API `internal` at `/internal` (X-API-Key), allowlist 127.0.0.2 only — checked before the key;
 * - tenant `plain` (manual, lists 127.0.0.2) with key `plain` (no key restrictions);
 * - tenant `domainOnly` (off) with key `domainOnly`: domain restriction app.example.com, IP off;
 * - tenant `blocked` (manual, empty list: denies everyone) with key `blocked`;
 * - tenant `both` (off) with key `both`: IPs 127.0.0.3 and domain app.example.com;
 * - tenant `browser` (manual, lists 127.0.0.2) with key `browser`: domain app.example.com, IP off — a
 *   browser key, judged by its domain rules instead of the tenant's list.
 *
 * @example
 * const world = await seedGatewayWorld(store, { upstreamUrl: upstream.url });
 * for (const c of GATEWAY_CASES) headersFor(c, world);
 */
export async function seedGatewayWorld(
  store: Store,
  options: { readonly upstreamUrl: string },
): Promise<GatewayWorld> {
  const orders = await store.createApi(
    { name: 'orders', pathPrefix: '/orders', upstreamUrl: options.upstreamUrl, authHeader: 'authorization' },
    actor,
  );
  const internal = await store.createApi(
    { name: 'internal', pathPrefix: '/internal', upstreamUrl: options.upstreamUrl, authHeader: 'x-api-key' },
    actor,
  );
  await store.addApiAllowlistEntry(internal.id, { value: '127.0.0.2', name: 'office' }, actor);

  const plain = await store.createTenant({ name: 'plain', ipMode: 'manual' }, actor);
  await store.addTenantIpEntry(plain.id, { value: '127.0.0.2', name: 'office' }, actor);
  const plainKey = await store.createKey(plain.id, { name: 'plain' }, actor);

  const domainOnly = await store.createTenant({ name: 'domain-only', ipMode: 'off' }, actor);
  const domainKey = await store.createKey(
    domainOnly.id,
    { name: 'browser', domainRestrictionEnabled: true },
    actor,
  );
  await store.addKeyDomainEntry(domainOnly.id, domainKey.key.id, { value: 'app.example.com' }, actor);

  const blocked = await store.createTenant({ name: 'blocked', ipMode: 'manual' }, actor);
  const blockedKey = await store.createKey(blocked.id, { name: 'blocked' }, actor);

  const both = await store.createTenant({ name: 'both', ipMode: 'off' }, actor);
  const bothKey = await store.createKey(
    both.id,
    { name: 'both', ipRestrictionEnabled: true, domainRestrictionEnabled: true },
    actor,
  );
  await store.addKeyIpEntry(both.id, bothKey.key.id, { value: '127.0.0.3' }, actor);
  await store.addKeyDomainEntry(both.id, bothKey.key.id, { value: 'app.example.com' }, actor);

  const browser = await store.createTenant({ name: 'browser', ipMode: 'manual' }, actor);
  await store.addTenantIpEntry(browser.id, { value: '127.0.0.2', name: 'office' }, actor);
  const browserKey = await store.createKey(
    browser.id,
    { name: 'browser', domainRestrictionEnabled: true },
    actor,
  );
  await store.addKeyDomainEntry(browser.id, browserKey.key.id, { value: 'app.example.com' }, actor);

  return {
    secrets: {
      plain: plainKey.secret,
      domainOnly: domainKey.secret,
      blocked: blockedKey.secret,
      both: bothKey.secret,
      browser: browserKey.secret,
      unknown: 'ipg_not_a_key_0000000000000000000000000000',
    },
    tenants: {
      plain: plain.id,
      domainOnly: domainOnly.id,
      blocked: blocked.id,
      both: both.id,
      browser: browser.id,
    },
    apis: { orders: orders.id, internal: internal.id },
  };
}

const bearer = (key: CaseKey) => ({ key, header: 'authorization' as const });
const apiKey = (key: CaseKey) => ({ key, header: 'x-api-key' as const });
const APP = 'https://app.example.com';

/**
 * The cases, in stage order.
 *
 * @example
 * it.each(GATEWAY_CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => …);
 */
export const GATEWAY_CASES: readonly GatewayCase[] = [
  {
    name: 'listed address, valid key',
    from: '127.0.0.2',
    path: '/orders/1',
    key: bearer('plain'),
    expected: 'allow',
  },
  {
    name: 'unlisted address, valid key',
    from: '127.0.0.3',
    path: '/orders/1',
    key: bearer('plain'),
    expected: 403,
  },
  { name: 'no key', from: '127.0.0.2', path: '/orders/1', expected: 401 },
  { name: 'unknown key', from: '127.0.0.2', path: '/orders/1', key: bearer('unknown'), expected: 401 },
  {
    name: 'key in the wrong header',
    from: '127.0.0.2',
    path: '/orders/1',
    key: apiKey('plain'),
    expected: 401,
  },
  { name: 'no route', from: '127.0.0.2', path: '/nothing-here', key: bearer('plain'), expected: 404 },
  {
    name: 'API allowlist passes, X-API-Key',
    from: '127.0.0.2',
    path: '/internal/x',
    key: apiKey('plain'),
    expected: 'allow',
  },
  { name: 'API allowlist denies before the key', from: '127.0.0.3', path: '/internal/x', expected: 403 },
  {
    name: 'API allowlist denies a valid key too',
    from: '127.0.0.3',
    path: '/internal/x',
    key: apiKey('plain'),
    expected: 403,
  },
  {
    name: 'manual with an empty list denies everyone',
    from: '127.0.0.2',
    path: '/orders',
    key: bearer('blocked'),
    expected: 403,
  },
  {
    name: 'domain only: server request denied',
    from: '127.0.0.2',
    path: '/orders',
    key: bearer('domainOnly'),
    expected: 403,
  },
  {
    name: 'domain only: listed Origin',
    from: '127.0.0.2',
    path: '/orders',
    key: bearer('domainOnly'),
    origin: APP,
    expected: 'allow',
  },
  {
    name: 'domain only: other Origin',
    from: '127.0.0.2',
    path: '/orders',
    key: bearer('domainOnly'),
    origin: 'https://evil.example.com',
    expected: 403,
  },
  {
    name: 'domain only: Referer when no Origin',
    from: '127.0.0.3',
    path: '/orders',
    key: bearer('domainOnly'),
    referer: `${APP}/page`,
    expected: 'allow',
  },
  {
    name: 'both: server request from the listed IP',
    from: '127.0.0.3',
    path: '/orders',
    key: bearer('both'),
    expected: 'allow',
  },
  {
    name: 'both: server request from another IP',
    from: '127.0.0.2',
    path: '/orders',
    key: bearer('both'),
    expected: 403,
  },
  {
    name: 'both: browser request from any IP with a listed Origin',
    from: '127.0.0.2',
    path: '/orders',
    key: bearer('both'),
    origin: APP,
    expected: 'allow',
  },
  {
    name: 'both: browser request with the null Origin',
    from: '127.0.0.3',
    path: '/orders',
    key: bearer('both'),
    origin: 'null',
    expected: 403,
  },
  {
    name: 'browser key under a tenant list: listed Origin from an unlisted address',
    from: '127.0.0.3',
    path: '/orders',
    key: bearer('browser'),
    origin: APP,
    expected: 'allow',
  },
  {
    name: 'browser key under a tenant list: server request from a listed address',
    from: '127.0.0.2',
    path: '/orders',
    key: bearer('browser'),
    expected: 403,
  },
  {
    name: 'browser key under a tenant list: other Origin',
    from: '127.0.0.2',
    path: '/orders',
    key: bearer('browser'),
    origin: 'https://evil.example.com',
    expected: 403,
  },
  {
    name: 'key without domain rules under a tenant list: a browser request is still held to the list',
    from: '127.0.0.3',
    path: '/orders',
    key: bearer('plain'),
    origin: APP,
    expected: 403,
  },
];

/**
 * The request headers of a case (key, Origin, Referer), in lower case.
 *
 * @example
 * headersFor(GATEWAY_CASES[0], world); // { authorization: 'Bearer ipg_…' }
 */
export function headersFor(c: GatewayCase, world: GatewayWorld): Record<string, string> {
  const headers: Record<string, string> = {};
  if (c.key !== undefined) {
    const secret = world.secrets[c.key.key];
    headers[c.key.header] = c.key.header === 'authorization' ? `Bearer ${secret}` : secret;
  }
  if (c.origin !== undefined) headers['origin'] = c.origin;
  if (c.referer !== undefined) headers['referer'] = c.referer;
  return headers;
}
