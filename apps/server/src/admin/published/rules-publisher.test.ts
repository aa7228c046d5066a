/**
 * The publisher against a fake engine: waiters are woken by a swap only when their scope's content
 * changed, a thousand of them cost one document build, and a client that leaves is forgotten at once.
 */
import { describe, expect, it } from 'vitest';
import { type CompiledRules, compileAll, type SwapChanges } from '../../snapshot/compiled-rules.js';
import type { RuleEntry, TenantRules } from '../../store/store.js';
import { createRulesPublisher, type SnapshotSource, type WaitResult } from './rules-publisher.js';

const at = new Date('2030-01-01T00:00:00Z');

function entry(id: string, value: string, expiresAt: Date | null = null): RuleEntry {
  return { id, name: id, type: value.includes('/') ? 'range' : 'ip', value, expiresAt };
}

function tenant(id: string, entries: RuleEntry[] = []): TenantRules {
  return { tenant: { id, ipMode: 'manual' }, entries };
}

/**
 * A stand-in for the engine over real compiled rules: `swap` applies the tenants given (null: deleted)
 * at a version and calls the listeners with what changed, as the engine does; `expire` lets time pass.
 */
function fakeSource(version: number, tenants: TenantRules[]) {
  const listeners = new Set<(changes: SwapChanges) => void>();
  const rules: CompiledRules = compileAll({ version, tenants, apis: [], keys: [] }, at.getTime());
  let reads = 0;
  let builds = 0;
  const source: SnapshotSource = {
    get current() {
      reads++;
      return rules.snapshot;
    },
    loaded: true,
    onSwap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const notify = (changes: SwapChanges) => {
    for (const l of listeners) l(changes);
  };
  return {
    source,
    get reads() {
      return reads;
    },
    /** Names as the store gives them: every entry is called by its id, upper case. */
    async names(scope: { kind: 'tenant'; tenantId: string } | { kind: 'api'; apiId: string }) {
      builds++;
      const unit = scope.kind === 'tenant' ? rules.snapshot.tenants.get(scope.tenantId) : undefined;
      const names = new Map<string, string>();
      for (let i = 0; i < (unit?.entryIds.size ?? 0); i++) {
        const id = unit?.entryIds.at(i) ?? '';
        names.set(id, id.toUpperCase());
      }
      return names;
    },
    get builds() {
      return builds;
    },
    swap(next: number, changed: Record<string, TenantRules | null>) {
      notify(
        rules.apply(
          { version: next, tenants: new Map(Object.entries(changed)), apis: new Map(), keys: new Map() },
          at.getTime(),
        ),
      );
    },
    expire(now: Date) {
      notify(rules.expire(now.getTime()));
    },
    get listeners() {
      return listeners.size;
    },
  };
}

const A = { kind: 'tenant', tenantId: 'ten_a' } as const;
const B = { kind: 'tenant', tenantId: 'ten_b' } as const;

describe('createRulesPublisher', () => {
  it('wakes only the waiters of a scope whose content changed, with the new document', async () => {
    const fake = fakeSource(1, [tenant('ten_a', [entry('e1', '198.51.100.1')]), tenant('ten_b')]);
    const publisher = createRulesPublisher(fake.source, { names: fake.names });
    const a = await publisher.document(A);
    const b = await publisher.document(B);
    expect(a?.version).toBe(1_000_000);
    const waitA = publisher.wait(A, a?.version ?? -1, 60_000);
    const waitB = publisher.wait(B, b?.version ?? -1, 60_000);
    // Both are read again at version 2; only ten_b's list differs.
    fake.swap(2, {
      ten_a: tenant('ten_a', [entry('e1', '198.51.100.1')]),
      ten_b: tenant('ten_b', [entry('e2', '198.51.100.2')]),
    });
    const woken = await waitB;
    expect(woken).toMatchObject({ kind: 'changed', document: { version: 2_000_000 } });
    expect(publisher.waiting).toBe(1);
    expect((await publisher.document(A))?.version).toBe(1_000_000);
    publisher.close();
    expect(await waitA).toEqual({ kind: 'unchanged' });
    expect(fake.listeners).toBe(0);
  });

  it('a thousand waiters on one scope: one swap builds the document once and wakes them all', async () => {
    const fake = fakeSource(1, [tenant('ten_a'), tenant('ten_b')]);
    const publisher = createRulesPublisher(fake.source, { names: fake.names });
    const version = (await publisher.document(A))?.version ?? -1;
    const waits = Array.from({ length: 1000 }, () => publisher.wait(A, version, 60_000));
    expect(publisher.waiting).toBe(1000);
    const buildsBefore = fake.builds;
    fake.swap(5, { ten_a: tenant('ten_a', [entry('e1', '198.51.100.1')]) });
    const results = await Promise.all(waits);
    expect(new Set(results.map((r) => r.kind))).toEqual(new Set(['changed']));
    expect(fake.builds - buildsBefore).toBe(1);
    expect(publisher.waiting).toBe(0);
  });

  it('an expiry (same rows, later cut-off) is a new version; a client that leaves stops waiting', async () => {
    const soon = new Date(at.getTime() + 1000);
    const fake = fakeSource(3, [
      tenant('ten_a', [entry('e1', '198.51.100.1', soon), entry('e2', '198.51.100.2')]),
    ]);
    const publisher = createRulesPublisher(fake.source, { names: fake.names });
    const before = await publisher.document(A);
    expect(before?.entries).toHaveLength(2);
    const left = new AbortController();
    const gone = publisher.wait(A, before?.version ?? -1, 60_000, left.signal);
    left.abort();
    expect(await gone).toEqual({ kind: 'unchanged' });
    expect(publisher.waiting).toBe(0);

    const waiting = publisher.wait(A, before?.version ?? -1, 60_000);
    fake.expire(new Date(soon.getTime() + 1));
    const result = await waiting;
    expect(result).toMatchObject({ kind: 'changed', document: { version: 3_000_001 } });
    expect(result.kind === 'changed' && result.document.entries.map((e) => e.id)).toEqual(['e2']);
  });

  it('a deleted tenant ends the wait as gone; the timeout answers unchanged', async () => {
    const fake = fakeSource(1, [tenant('ten_a'), tenant('ten_b')]);
    const publisher = createRulesPublisher(fake.source, { names: fake.names });
    const quick = await publisher.wait(A, 1_000_000, 10);
    expect(quick).toEqual({ kind: 'unchanged' });
    const waiting = publisher.wait(B, 1_000_000, 60_000);
    fake.swap(2, { ten_b: null });
    expect(await waiting).toEqual({ kind: 'gone' });
    expect(await publisher.document(B)).toBeUndefined();
  });
});

describe('createRulesPublisher at scale', () => {
  it('a change to one tenant looks at that tenant’s waiters only', async () => {
    const tenants = Array.from({ length: 2000 }, (_, i) => tenant(`ten_${i}`));
    const fake = fakeSource(1, tenants);
    const publisher = createRulesPublisher(fake.source, { names: fake.names });
    const waits: Promise<WaitResult>[] = [];
    for (const t of tenants) {
      const scope = { kind: 'tenant', tenantId: t.tenant.id } as const;
      waits.push(publisher.wait(scope, (await publisher.document(scope))?.version ?? -1, 60_000));
    }
    const buildsBefore = fake.builds;
    fake.swap(2, { ten_7: tenant('ten_7', [entry('e1', '198.51.100.1')]) });
    expect(await waits[7]).toMatchObject({ kind: 'changed' });
    expect(fake.builds - buildsBefore).toBe(1);
    expect(publisher.waiting).toBe(1999);
    publisher.close();
    await Promise.all(waits);
  });
});
