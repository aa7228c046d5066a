import { describe, expect, it } from 'vitest';
import { changesToStart, pacedStorm, stormPlan } from './storm-plan.mjs';

const tenants = Array.from({ length: 1000 }, (_, i) => `ten_${i}`);

describe('changesToStart', () => {
  it('starts what is due at the rate, less what was started, within the in-flight bound', () => {
    expect(changesToStart({ elapsedMs: 1000, rate: 200, started: 190, inFlight: 0, maxInFlight: 32 })).toBe(
      10,
    );
    expect(changesToStart({ elapsedMs: 1000, rate: 200, started: 150, inFlight: 30, maxInFlight: 32 })).toBe(
      2,
    );
    expect(changesToStart({ elapsedMs: 4, rate: 200, started: 0, inFlight: 0, maxInFlight: 32 })).toBe(0);
    expect(changesToStart({ elapsedMs: 500, rate: 200, started: 120, inFlight: 0, maxInFlight: 32 })).toBe(0);
  });
});

describe('stormPlan', () => {
  it('spreads its adds over distinct tenants with fresh addresses, and removes only what it added, oldest first', () => {
    const plan = stormPlan(tenants, { serial: 0, keep: 4 });
    const adds = [];
    const removes = [];
    for (let i = 0; i < 400; i++) {
      const c = plan.next();
      if (c.kind === 'add') {
        adds.push(c);
        plan.added(c.tenantId, `ent_${adds.length}`);
      } else removes.push(c);
    }
    // Consecutive adds never hit one tenant twice within the tenant count.
    const firstTenants = adds.slice(0, 150).map((c) => c.tenantId);
    expect(new Set(firstTenants).size).toBe(firstTenants.length);
    expect(new Set(adds.map((c) => c.address)).size).toBe(adds.length);
    // Once more than `keep` are listed, every other change is a remove: lists keep their size.
    expect(removes.length).toBeGreaterThan(190);
    expect(removes.slice(0, 3).map((c) => c.entryId)).toEqual(['ent_1', 'ent_2', 'ent_3']);
    expect(removes[0]?.tenantId).toBe(adds[0]?.tenantId);
    expect(plan.listed).toBe(adds.length - removes.length);
    expect(plan.takeListed()).toHaveLength(adds.length - removes.length);
    expect(plan.listed).toBe(0);
  });

  it('numbers from `serial`, so another start writes other addresses', () => {
    const a = stormPlan(tenants, { serial: 0 }).next();
    const b = stormPlan(tenants, { serial: 1_000 }).next();
    expect(a.kind).toBe('add');
    expect(b.kind).toBe('add');
    expect(b.address).not.toBe(a.address);
  });

  it('refuses an empty tenant list', () => {
    expect(() => stormPlan([])).toThrow(/at least one tenant/);
  });
});

describe('pacedStorm', () => {
  it('makes its changes at the rate asked, counts failures apart and reports the rate achieved', async () => {
    const plan = stormPlan(tenants, { serial: 0, keep: 8 });
    let n = 0;
    const storm = pacedStorm(plan, async (c) => {
      n++;
      if (n % 50 === 0) throw new Error('refused');
      return c.kind === 'add' ? `ent_${n}` : undefined;
    });
    storm.start(1000);
    await new Promise((r) => setTimeout(r, 400));
    const r = await storm.stop();
    expect(r.made + r.failed).toBe(n);
    expect(r.failed).toBe(Math.floor(n / 50));
    expect(r.firstError).toBe('refused');
    // ~400 due in 0.4 s; timers on a busy machine may fire late, never early.
    expect(n).toBeGreaterThan(250);
    expect(n).toBeLessThanOrEqual(Math.ceil(r.seconds * 1000) + 1);
    expect(r.ratePerS).toBeGreaterThan(600);
    expect(r.adds + r.removes).toBe(r.made);
    await expect(storm.stop()).rejects.toThrow(/not running/);
  });

  it('holds no more than maxInFlight changes at once when the store is slow', async () => {
    let inFlight = 0;
    let most = 0;
    const storm = pacedStorm(
      stormPlan(tenants),
      async (c) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 50));
        inFlight--;
        return c.kind === 'add' ? 'ent_x' : undefined;
      },
      { maxInFlight: 4 },
    );
    storm.start(2000);
    await new Promise((r) => setTimeout(r, 300));
    const r = await storm.stop();
    expect(most).toBe(4);
    // The rate achieved shows the store falling behind: far under the 2,000/s asked.
    expect(r.ratePerS).toBeLessThan(200);
  });
});
