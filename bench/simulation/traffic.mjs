/**
 * The recorded traffic of the simulation benchmark: a tenant with a list of 60 entries and 20 keys (a
 * quarter with a domain restriction), and `requests` request records over 24 hours from 20,000
 * addresses — heavy hitters and a long tail, 85 % inside the list — written through the store's own
 * `appendRequests` in batches of 5,000, as the gateway's recorder writes them. Seeded, so every run
 * holds the same records. A second tenant's traffic (a tenth as much) shares the log, so the index
 * ranges are real ranges.
 */

/** mulberry32: a small seeded generator, so runs hold the same traffic. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const WINDOW = {
  since: new Date('2026-11-01T00:00:00.000Z'),
  until: new Date('2026-11-02T00:00:00.000Z'),
};
const as = { actor: 'bench:simulation' };

/** Seeds `store` and returns the ids the runs need. */
export async function seedTraffic(store, { requests, log = () => {} }) {
  const rnd = random(7);
  const tenant = await store.createTenant({ name: 'bench', ipEntryLimit: 1000 }, as);
  const other = await store.createTenant({ name: 'other', ipMode: 'off' }, as);
  const entryIds = [];
  // 50 office networks 10.<i>.0.0/16 … and 10 single addresses of 198.51.100.x.
  for (let i = 0; i < 50; i++) {
    entryIds.push(
      (await store.addTenantIpEntry(tenant.id, { value: `10.${i}.0.0/16`, name: `net ${i}` }, as)).id,
    );
  }
  for (let i = 0; i < 10; i++) {
    entryIds.push(
      (await store.addTenantIpEntry(tenant.id, { value: `198.51.100.${i}`, name: `host ${i}` }, as)).id,
    );
  }
  const keys = [];
  for (let i = 0; i < 20; i++) {
    const web = i % 4 === 0;
    const { key } = await store.createKey(tenant.id, { name: `key ${i}`, domainRestrictionEnabled: web }, as);
    if (web) await store.addKeyDomainEntry(tenant.id, key.id, { value: 'app.example.com' }, as);
    keys.push({ id: key.id, web });
  }
  const otherKey = (await store.createKey(other.id, { name: 'other' }, as)).key.id;
  const api = await store.createApi({ name: 'orders', upstreamUrl: 'http://127.0.0.1:9' }, as);

  // 20,000 addresses: 17,000 in the listed networks, 3,000 outside (192.0.2.x, 203.0.113.x and 172.16.x.y).
  const addresses = [];
  for (let i = 0; i < 17_000; i++) addresses.push(`10.${i % 55}.${(i >> 8) & 255}.${i & 255}`);
  for (let i = 0; i < 3_000; i++) addresses.push(`172.16.${(i >> 8) & 255}.${i & 255}`);
  // Heavy hitters: a fifth of the traffic from 20 addresses.
  const pick = () => {
    const r = rnd();
    if (r < 0.2) return addresses[Math.floor(rnd() * 20) * 850];
    return addresses[Math.floor(rnd() * addresses.length)];
  };
  const span = WINDOW.until.getTime() - WINDOW.since.getTime();
  const total = requests + Math.floor(requests / 10);
  const started = performance.now();
  let batch = [];
  for (let n = 0; n < total; n++) {
    const mine = n % 11 !== 10;
    const client = pick();
    const key = keys[Math.floor(rnd() * keys.length)];
    const listed = client.startsWith('10.') && Number(client.split('.')[1]) < 50;
    const browser = key.web || rnd() < 0.05;
    batch.push({
      requestId: `req_${String(n).padStart(8, '0')}`,
      at: new Date(WINDOW.since.getTime() + Math.floor((n / total) * span)),
      tenantId: mine ? tenant.id : other.id,
      apiId: api.id,
      keyId: mine ? key.id : otherKey,
      client,
      method: 'GET',
      path: '/orders',
      status: listed || !mine ? 200 : 403,
      decision: listed || !mine ? 'allow' : 'deny',
      stage: listed || !mine ? 'complete' : 'tenant-restriction',
      reason: listed || !mine ? 'allowed' : 'tenant-ip-not-listed',
      latencyMs: 1.5,
      origin: browser ? 'https://app.example.com' : null,
    });
    if (batch.length === 5000) {
      await store.appendRequests(batch);
      batch = [];
      if (n % 100_000 < 5000) log(`  seeded ${n + 1} records`);
    }
  }
  if (batch.length > 0) await store.appendRequests(batch);
  const seedSeconds = (performance.now() - started) / 1000;
  return { tenantId: tenant.id, apiId: api.id, entryIds, total, mine: requests, seedSeconds };
}
