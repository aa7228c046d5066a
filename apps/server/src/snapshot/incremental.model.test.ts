/**
 * The model test of incremental snapshots: random sequences of changes across tenants, APIs and keys
 * go into a real store (SQLite and PostgreSQL); one node follows them unit by unit (`rulesSince`,
 * sometimes only after several changes, as after a missed notification), and after every step its
 * snapshot must decide exactly as a full recompile of the same store state does — on every key, API
 * and tenant, on random probes, through expiry, deletes, renames and key rotation. Runs of changes
 * that only add entries (single adds, `auto` batches) are followed by extending the compiled tenant
 * with just those rows (`additions`), interleaved with every other kind, which recompiles it whole.
 */
import { type Decision, IpAddress, originOf } from '@ipgate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleAssessment } from '../review/assessment.test-support.js';
import { allRules } from '../store/all-rules.test-support.js';
import type { Store } from '../store/store.js';
import { type StoreFactory, storeFactories } from '../store/test-stores.test-support.js';
import { CompiledRules, compileAll } from './compiled-rules.js';
import { decideOnSnapshot } from './decide-on-snapshot.js';
import type { Snapshot } from './snapshot.js';

const as = { actor: 'test:model' };
const MINUTE = 60_000;

/** Entities by position: an operation names "the i-th tenant" and means i modulo how many exist. */
interface World {
  tenants: string[];
  apis: string[];
  keys: { id: string; tenantId: string; secret: string }[];
  /** The fake clock rules are compiled against; entries expire against it. */
  now: number;
}

type Op =
  | { op: 'tenant' }
  | { op: 'mode'; t: number; mode: 'off' | 'manual' | 'auto' }
  | { op: 'rename'; t: number }
  | { op: 'deleteTenant'; t: number }
  | { op: 'entry'; t: number; value: string; expiresIn: number | null }
  | { op: 'auto'; k: number; values: string[] }
  | { op: 'editEntry'; t: number; e: number; value: string; enabled: boolean }
  | { op: 'removeEntry'; t: number; e: number }
  | { op: 'api'; prefix: string; host: string | null }
  | { op: 'editApi'; a: number; prefix: string }
  | { op: 'deleteApi'; a: number }
  | { op: 'allow'; a: number; value: string; expiresIn: number | null }
  | { op: 'removeAllow'; a: number; e: number }
  | { op: 'key'; t: number; ip: boolean; domain: boolean }
  | { op: 'rotate'; k: number }
  | { op: 'revoke'; k: number }
  | { op: 'keyIp'; k: number; value: string }
  | { op: 'keyDomain'; k: number; value: string }
  | { op: 'switches'; k: number; ip: boolean; domain: boolean }
  | { op: 'token' }
  | { op: 'time'; minutes: number }
  | { op: 'sync' };

const octet = fc.integer({ min: 0, max: 63 });
const entryValue = fc.oneof(
  octet.map((o) => `10.0.0.${o}`),
  fc.integer({ min: 0, max: 3 }).map((q) => `10.0.0.${q * 16}/28`),
  octet.map((o) => `2001:db8::${o.toString(16)}`),
  fc.constant('10.0.0.0/26'),
);
const expiresIn = fc.option(fc.integer({ min: 1, max: 30 }), { nil: null, freq: 3 });
const ix = fc.nat(20);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Op>({ op: 'tenant' }) },
  fc.record({ op: fc.constant('mode' as const), t: ix, mode: fc.constantFrom('off', 'manual', 'auto') }),
  fc.record({ op: fc.constant('rename' as const), t: ix }),
  fc.record({ op: fc.constant('deleteTenant' as const), t: ix }),
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('entry' as const), t: ix, value: entryValue, expiresIn }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('auto' as const),
      k: ix,
      values: fc.array(
        fc.oneof(
          octet.map((o) => `10.0.0.${o}`),
          octet.map((o) => `2001:db8::${o.toString(16)}`),
        ),
        { minLength: 1, maxLength: 5 },
      ),
    }),
  },
  fc.record({
    op: fc.constant('editEntry' as const),
    t: ix,
    e: ix,
    value: entryValue,
    enabled: fc.boolean(),
  }),
  fc.record({ op: fc.constant('removeEntry' as const), t: ix, e: ix }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('api' as const),
      prefix: fc.constantFrom('/', '/v1', '/v2', '/admin'),
      host: fc.constantFrom(null, 'a.example', 'b.example'),
    }),
  },
  fc.record({ op: fc.constant('editApi' as const), a: ix, prefix: fc.constantFrom('/', '/v1', '/v3') }),
  fc.record({ op: fc.constant('deleteApi' as const), a: ix }),
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('allow' as const), a: ix, value: entryValue, expiresIn }),
  },
  fc.record({ op: fc.constant('removeAllow' as const), a: ix, e: ix }),
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('key' as const), t: ix, ip: fc.boolean(), domain: fc.boolean() }),
  },
  fc.record({ op: fc.constant('rotate' as const), k: ix }),
  fc.record({ op: fc.constant('revoke' as const), k: ix }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('keyIp' as const), k: ix, value: entryValue }) },
  fc.record({
    op: fc.constant('keyDomain' as const),
    k: ix,
    value: fc.constantFrom('app.example.com', '*.example.org', 'https://portal.example.net:8443'),
  }),
  fc.record({ op: fc.constant('switches' as const), k: ix, ip: fc.boolean(), domain: fc.boolean() }),
  fc.constant<Op>({ op: 'token' }),
  fc.record({ op: fc.constant('time' as const), minutes: fc.integer({ min: 1, max: 20 }) }),
  { weight: 3, arbitrary: fc.constant<Op>({ op: 'sync' }) },
);

/** Every kind of change once, in an order where each applies: the run that always comes first. */
const SCRIPT: Op[] = [
  { op: 'tenant' },
  { op: 'tenant' },
  { op: 'entry', t: 0, value: '10.0.0.0/28', expiresIn: 5 },
  { op: 'entry', t: 0, value: '10.0.0.7', expiresIn: null },
  { op: 'api', prefix: '/v1', host: null },
  { op: 'api', prefix: '/', host: 'a.example' },
  { op: 'allow', a: 0, value: '10.0.0.0/26', expiresIn: 10 },
  { op: 'key', t: 0, ip: true, domain: true },
  { op: 'key', t: 1, ip: false, domain: false },
  { op: 'keyIp', k: 0, value: '10.0.0.7' },
  { op: 'keyDomain', k: 0, value: 'app.example.com' },
  { op: 'sync' },
  { op: 'auto', k: 0, values: ['10.0.0.40', '2001:db8::28', '10.0.0.7'] },
  { op: 'sync' },
  { op: 'entry', t: 0, value: '10.0.0.41', expiresIn: null },
  { op: 'auto', k: 0, values: ['10.0.0.42'] },
  { op: 'sync' },
  { op: 'time', minutes: 6 },
  { op: 'sync' },
  { op: 'editEntry', t: 0, e: 1, value: '10.0.0.9', enabled: true },
  { op: 'rotate', k: 0 },
  { op: 'mode', t: 1, mode: 'off' },
  { op: 'rename', t: 0 },
  { op: 'switches', k: 0, ip: false, domain: true },
  { op: 'editApi', a: 0, prefix: '/v3' },
  { op: 'token' },
  { op: 'removeAllow', a: 0, e: 0 },
  { op: 'removeEntry', t: 0, e: 0 },
  { op: 'revoke', k: 1 },
  { op: 'deleteApi', a: 1 },
  { op: 'deleteTenant', t: 0 },
  { op: 'sync' },
];

const pick = <T>(list: readonly T[], i: number): T | undefined =>
  list.length === 0 ? undefined : list[i % list.length];

/** How often each kind of operation changed the store, over a run of the property: it must cover them all. */
const performed = new Map<string, number>();

/** Applies one operation to the store; store refusals (limits, duplicates) are part of the game. */
async function perform(store: Store, world: World, o: Op): Promise<void> {
  const before = await store.currentVersion();
  await performOne(store, world, o);
  if ((await store.currentVersion()) > before) performed.set(o.op, (performed.get(o.op) ?? 0) + 1);
}

async function performOne(store: Store, world: World, o: Op): Promise<void> {
  const expiry = (minutes: number | null) =>
    minutes === null ? null : new Date(Math.max(world.now, Date.now()) + minutes * MINUTE);
  try {
    switch (o.op) {
      case 'tenant':
        // Every other tenant in `auto`, so that batches list addresses (a `mode` step may change it).
        world.tenants.push(
          (
            await store.createTenant(
              {
                name: `t${world.tenants.length}`,
                ipMode: world.tenants.length % 2 === 0 ? 'auto' : 'manual',
              },
              as,
            )
          ).id,
        );
        return;
      case 'mode': {
        const t = pick(world.tenants, o.t);
        if (t !== undefined) await store.updateTenant(t, { ipMode: o.mode }, as);
        return;
      }
      case 'rename': {
        const t = pick(world.tenants, o.t);
        if (t !== undefined) await store.updateTenant(t, { name: `renamed ${o.t}` }, as);
        return;
      }
      case 'deleteTenant': {
        const t = pick(world.tenants, o.t);
        if (t === undefined) return;
        await store.deleteTenant(t, as);
        world.tenants = world.tenants.filter((x) => x !== t);
        world.keys = world.keys.filter((k) => k.tenantId !== t);
        return;
      }
      case 'entry': {
        const t = pick(world.tenants, o.t);
        if (t !== undefined)
          await store.addTenantIpEntry(
            t,
            { value: o.value, name: o.value, expiresAt: expiry(o.expiresIn) },
            as,
          );
        return;
      }
      case 'auto': {
        const k = pick(world.keys, o.k);
        if (k === undefined) return;
        const at = new Date(world.now);
        await store.autoAuthorizeAddresses({
          tenantId: k.tenantId,
          burst: { limit: 1000, windowMs: 3_600_000 },
          addresses: o.values.map((address) => ({
            keyId: k.id,
            address,
            assessment: sampleAssessment(address, 'trusted'),
            at,
          })),
        });
        return;
      }
      case 'editEntry': {
        const t = pick(world.tenants, o.t);
        if (t === undefined) return;
        const e = pick(await store.listTenantIpEntries(t), o.e);
        if (e !== undefined)
          await store.updateTenantIpEntry(t, e.id, { value: o.value, enabled: o.enabled }, as);
        return;
      }
      case 'removeEntry': {
        const t = pick(world.tenants, o.t);
        if (t === undefined) return;
        const e = pick(await store.listTenantIpEntries(t), o.e);
        if (e !== undefined) await store.removeTenantIpEntry(t, e.id, as);
        return;
      }
      case 'api':
        world.apis.push(
          (
            await store.createApi(
              {
                name: `api${world.apis.length}`,
                pathPrefix: o.prefix,
                host: o.host,
                upstreamUrl: 'http://127.0.0.1:9',
              },
              as,
            )
          ).id,
        );
        return;
      case 'editApi': {
        const a = pick(world.apis, o.a);
        if (a !== undefined) await store.updateApi(a, { pathPrefix: o.prefix }, as);
        return;
      }
      case 'deleteApi': {
        const a = pick(world.apis, o.a);
        if (a === undefined) return;
        await store.deleteApi(a, as);
        world.apis = world.apis.filter((x) => x !== a);
        return;
      }
      case 'allow': {
        const a = pick(world.apis, o.a);
        if (a !== undefined)
          await store.addApiAllowlistEntry(a, { value: o.value, expiresAt: expiry(o.expiresIn) }, as);
        return;
      }
      case 'removeAllow': {
        const a = pick(world.apis, o.a);
        if (a === undefined) return;
        const e = pick(await store.listApiAllowlistEntries(a), o.e);
        if (e !== undefined) await store.removeApiAllowlistEntry(a, e.id, as);
        return;
      }
      case 'key': {
        const t = pick(world.tenants, o.t);
        if (t === undefined) return;
        const made = await store.createKey(
          t,
          { name: 'k', ipRestrictionEnabled: o.ip, domainRestrictionEnabled: o.domain },
          as,
        );
        world.keys.push({ id: made.key.id, tenantId: t, secret: made.secret });
        return;
      }
      case 'rotate': {
        const k = pick(world.keys, o.k);
        if (k !== undefined) k.secret = (await store.rotateKey(k.tenantId, k.id, as)).secret;
        return;
      }
      case 'revoke': {
        const k = pick(world.keys, o.k);
        if (k !== undefined) await store.revokeKey(k.tenantId, k.id, as);
        return;
      }
      case 'keyIp': {
        const k = pick(world.keys, o.k);
        if (k !== undefined) await store.addKeyIpEntry(k.tenantId, k.id, { value: o.value }, as);
        return;
      }
      case 'keyDomain': {
        const k = pick(world.keys, o.k);
        if (k !== undefined) await store.addKeyDomainEntry(k.tenantId, k.id, { value: o.value }, as);
        return;
      }
      case 'switches': {
        const k = pick(world.keys, o.k);
        if (k !== undefined)
          await store.updateKey(
            k.tenantId,
            k.id,
            { ipRestrictionEnabled: o.ip, domainRestrictionEnabled: o.domain },
            as,
          );
        return;
      }
      case 'token':
        await store.createToken(
          { name: `tok ${Math.random()}`, role: 'viewer', tenantId: pick(world.tenants, 0) ?? null },
          as,
        );
        return;
      case 'time':
        world.now += o.minutes * MINUTE;
        return;
      case 'sync':
        return;
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    // Limits, duplicates, revoked keys: the store said no, and nothing changed.
    if (
      code === 'IPG_ALREADY_EXISTS' ||
      code === 'IPG_LIMIT_REACHED' ||
      code === 'IPG_VERSION_CONFLICT' ||
      code === 'IPG_KEY_REVOKED'
    )
      return;
    throw e;
  }
}

const PROBES = [
  ...Array.from({ length: 64 }, (_, o) => `10.0.0.${o}`),
  '2001:db8::1',
  '2001:db8::3f',
  '192.0.2.1',
].map((a) => IpAddress.parse(a));
const ORIGINS = [
  undefined,
  'https://app.example.com',
  'https://x.example.org',
  'https://portal.example.net:8443',
  'https://evil.example',
];

/** What a decision says, without the explanation's wording. */
function summary(d: Decision): string {
  return `${d.allow} ${d.stage} ${d.reason} ${d.matched.map((m) => `${m.list}:${m.id ?? m.value}`).join(',')}`;
}

/** Both snapshots decide every probe alike, for every key (by its current secret), API and origin. */
function expectSameDecisions(world: World, incremental: Snapshot, full: Snapshot): void {
  expect(incremental.version).toBe(full.version);
  expect(incremental.tenants.size).toBe(full.tenants.size);
  expect(incremental.apis.size).toBe(full.apis.size);
  expect(incremental.keysById.size).toBe(full.keysById.size);
  expect(incremental.keysByHash.size).toBe(full.keysByHash.size);
  for (const [id, tenant] of full.tenants) {
    const mine = incremental.tenants.get(id);
    expect(mine?.restriction.mode).toBe(tenant.restriction.mode);
    expect(mine?.expired).toBe(tenant.expired);
  }
  for (const [hash, key] of full.keysByHash) expect(incremental.keysByHash.get(hash)?.id).toBe(key.id);
  const apis = [undefined, ...full.apis.values()].map((a) => a?.id);
  for (const apiId of apis) {
    const apiFull = apiId === undefined ? undefined : full.apis.get(apiId);
    const apiMine = apiId === undefined ? undefined : incremental.apis.get(apiId);
    expect([apiMine?.pathPrefix, apiMine?.host]).toEqual([apiFull?.pathPrefix, apiFull?.host]);
    for (const k of [undefined, ...world.keys]) {
      const keyFull = k === undefined ? undefined : full.keysById.get(k.id);
      const keyMine = k === undefined ? undefined : incremental.keysById.get(k.id);
      expect(keyMine?.id).toBe(keyFull?.id);
      const tenantFull = keyFull === undefined ? undefined : full.tenants.get(keyFull.tenantId);
      const tenantMine = keyMine === undefined ? undefined : incremental.tenants.get(keyMine.tenantId);
      for (const origin of ORIGINS) {
        for (const client of PROBES) {
          const input = { client, origin: originOf({ origin }) };
          const a = decideOnSnapshot({ ...input, api: apiMine, tenant: tenantMine, key: keyMine });
          const b = decideOnSnapshot({ ...input, api: apiFull, tenant: tenantFull, key: keyFull });
          if (summary(a) !== summary(b)) {
            expect.fail(
              `${client} ${origin} api ${apiId} key ${k?.id}: incremental ${summary(a)}, full ${summary(b)}`,
            );
          }
        }
      }
    }
  }
  for (const route of ['/', '/v1/x', '/v2', '/v3/y', '/admin/z']) {
    for (const host of ['a.example', 'b.example', 'other']) {
      expect(incremental.routes.find(host, route)?.id).toBe(full.routes.find(host, route)?.id);
    }
  }
}

const factories = await storeFactories();

for (const factory of factories) {
  describe.skipIf(factory.skip)(`incremental snapshots on ${factory.name}`, () => {
    it('decide exactly as a full recompile after every step of random changes', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 70 }), async (ops) => {
          const store = await factory.open({ apiAllowlistEntryLimit: 6 });
          try {
            await runModel(store, ops);
          } finally {
            await store.close();
          }
        }),
        { numRuns: factory.name === 'sqlite' ? 12 : 6, endOnFailure: true, examples: [[SCRIPT]] },
      );
      // Every kind of change was made at least once (the script sees to it), or the property proved
      // less than it says.
      const kinds = new Set(['sync', 'time']);
      for (const arb of [
        'tenant',
        'mode',
        'rename',
        'deleteTenant',
        'entry',
        'auto',
        'editEntry',
        'removeEntry',
        'api',
        'editApi',
        'deleteApi',
        'allow',
        'removeAllow',
        'key',
        'rotate',
        'revoke',
        'keyIp',
        'keyDomain',
        'switches',
        'token',
      ])
        if (!kinds.has(arb)) expect(performed.get(arb) ?? 0, arb).toBeGreaterThan(0);
      expect(extendedTotal).toBeGreaterThan(0);
    }, 240_000);
  });
}

async function runModel(store: Store, ops: readonly Op[]): Promise<void> {
  const world: World = { tenants: [], apis: [], keys: [], now: Date.now() };
  const node = new CompiledRules();
  let synced = 0;
  let extended = 0;
  for (const [step, o] of ops.entries()) {
    await perform(store, world, o);
    // Most steps the node follows at once; a `sync` step after a run without one is the catch-up
    // after missed notifications: several changes in one read.
    if (o.op !== 'sync' && step % 3 === 2) continue;
    // Mostly as a gateway worker follows (add-only runs as just their rows), now and then as the
    // process that keeps the copy on disk does (whole units).
    const additions = step % 5 !== 4;
    const delta = await store.rulesSince(node.snapshot.version, { maxChanges: 10_000, additions });
    if (delta === undefined) throw new Error('rulesSince gave up');
    expect(node.canExtend(delta)).toBe(true);
    extended += delta.tenantAdditions?.size ?? 0;
    node.apply(delta, world.now);
    node.expire(world.now);
    synced++;
    const full = compileAll(await allRules(store), world.now).snapshot;
    expectSameDecisions(world, node.snapshot, full);
  }
  expect(synced).toBeGreaterThan(0);
  extendedTotal += extended;
}

/** Tenants extended rather than recompiled, over a run of the property: the path must be taken. */
let extendedTotal = 0;

describe('the model test itself', () => {
  it('would notice a unit the node failed to recompile', async () => {
    const factory = factories.find((f) => f.name === 'sqlite') as StoreFactory;
    const store = await factory.open();
    try {
      const world: World = { tenants: [], apis: [], keys: [], now: Date.now() };
      const node = new CompiledRules();
      await perform(store, world, { op: 'tenant' });
      await perform(store, world, { op: 'api', prefix: '/', host: null });
      await perform(store, world, { op: 'key', t: 0, ip: false, domain: false });
      node.apply(
        (await store.rulesSince(0)) as NonNullable<Awaited<ReturnType<Store['rulesSince']>>>,
        world.now,
      );
      await perform(store, world, { op: 'entry', t: 0, value: '10.0.0.7', expiresIn: null });
      const delta = await store.rulesSince(node.snapshot.version);
      // Drop the tenant from the delta, as a node that missed a unit would.
      node.apply({ ...(delta as NonNullable<typeof delta>), tenants: new Map() }, world.now);
      const full = compileAll(await allRules(store), world.now).snapshot;
      expect(() => expectSameDecisions(world, node.snapshot, full)).toThrow(/incremental/);
    } finally {
      await store.close();
    }
  });
});
