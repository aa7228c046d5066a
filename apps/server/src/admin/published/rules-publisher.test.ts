/**
 * The publisher against a fake engine: waiters are woken by a swap only when their scope's content
 * changed, a thousand of them cost one document build, and a client that leaves is forgotten at once.
 */
import { describe, expect, it } from 'vitest';
import { compileSnapshot, type Snapshot } from '../../snapshot/snapshot.js';
import type { RulesDump, Tenant, TenantIpEntry } from '../../store/store.js';
import { createRulesPublisher, type RulesSource } from './rules-publisher.js';

const at = new Date('2030-01-01T00:00:00Z');

function tenant(id: string, ipMode: Tenant['ipMode'] = 'manual'): Tenant {
  return {
    id,
    name: id,
    ipMode,
    ipEntryLimit: 100,
    keyIpLimit: 5,
    keyDomainLimit: 5,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}

function entry(tenantId: string, id: string, value: string, expiresAt: Date | null = null): TenantIpEntry {
  return {
    id,
    tenantId,
    name: id,
    type: value.includes('/') ? 'range' : 'ip',
    value,
    canonical: value,
    enabled: true,
    expiresAt,
    source: 'manual',
    reason: null,
    createdBy: 'test',
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}

function dump(version: number, entries: TenantIpEntry[]): RulesDump {
  return {
    version,
    tenants: [tenant('ten_a'), tenant('ten_b')],
    tenantIpEntries: entries,
    apis: [],
    apiAllowlistEntries: [],
    keys: [],
    keyIpEntries: [],
    keyDomainEntries: [],
  };
}

/** A stand-in for the engine: `swap` installs a dump and calls the listeners, as `install` does. */
function fakeSource(first: RulesDump) {
  const listeners = new Set<() => void>();
  let d = first;
  let snapshot: Snapshot = compileSnapshot(first, { now: at });
  let builds = 0;
  const source: RulesSource = {
    get current() {
      return snapshot;
    },
    get dump() {
      builds++;
      return d;
    },
    onSwap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    source,
    get reads() {
      return builds;
    },
    swap(next: RulesDump, now = at) {
      d = next;
      snapshot = compileSnapshot(next, { now });
      for (const l of listeners) l();
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
    const fake = fakeSource(dump(1, [entry('ten_a', 'e1', '198.51.100.1')]));
    const publisher = createRulesPublisher(fake.source);
    const a = publisher.document(A);
    const b = publisher.document(B);
    expect(a?.version).toBe(1_000_000);
    const waitA = publisher.wait(A, a?.version ?? -1, 60_000);
    const waitB = publisher.wait(B, b?.version ?? -1, 60_000);
    fake.swap(dump(2, [entry('ten_a', 'e1', '198.51.100.1'), entry('ten_b', 'e2', '198.51.100.2')]));
    const woken = await waitB;
    expect(woken).toMatchObject({ kind: 'changed', document: { version: 2_000_000 } });
    expect(publisher.waiting).toBe(1);
    expect(publisher.document(A)?.version).toBe(1_000_000);
    publisher.close();
    expect(await waitA).toEqual({ kind: 'unchanged' });
    expect(fake.listeners).toBe(0);
  });

  it('a thousand waiters on one scope: one swap builds the document once and wakes them all', async () => {
    const fake = fakeSource(dump(1, []));
    const publisher = createRulesPublisher(fake.source);
    const version = publisher.document(A)?.version ?? -1;
    const waits = Array.from({ length: 1000 }, () => publisher.wait(A, version, 60_000));
    expect(publisher.waiting).toBe(1000);
    const readsBefore = fake.reads;
    fake.swap(dump(5, [entry('ten_a', 'e1', '198.51.100.1')]));
    expect(fake.reads - readsBefore).toBe(1);
    const results = await Promise.all(waits);
    expect(new Set(results.map((r) => r.kind))).toEqual(new Set(['changed']));
    expect(publisher.waiting).toBe(0);
  });

  it('an expiry (same dump, later cut-off) is a new version; a client that leaves stops waiting', async () => {
    const soon = new Date(at.getTime() + 1000);
    const d = dump(3, [entry('ten_a', 'e1', '198.51.100.1', soon), entry('ten_a', 'e2', '198.51.100.2')]);
    const fake = fakeSource(d);
    const publisher = createRulesPublisher(fake.source);
    const before = publisher.document(A);
    expect(before?.entries).toHaveLength(2);
    const left = new AbortController();
    const gone = publisher.wait(A, before?.version ?? -1, 60_000, left.signal);
    left.abort();
    expect(await gone).toEqual({ kind: 'unchanged' });
    expect(publisher.waiting).toBe(0);

    const waiting = publisher.wait(A, before?.version ?? -1, 60_000);
    fake.swap(d, new Date(soon.getTime() + 1));
    const result = await waiting;
    expect(result).toMatchObject({ kind: 'changed', document: { version: 3_000_001 } });
    expect(result.kind === 'changed' && result.document.entries.map((e) => e.id)).toEqual(['e2']);
  });

  it('a deleted tenant ends the wait as gone; the timeout answers unchanged', async () => {
    const fake = fakeSource(dump(1, []));
    const publisher = createRulesPublisher(fake.source);
    const quick = await publisher.wait(A, 1_000_000, 10);
    expect(quick).toEqual({ kind: 'unchanged' });
    const waiting = publisher.wait(B, 1_000_000, 60_000);
    fake.swap({ ...dump(2, []), tenants: [tenant('ten_a')] });
    expect(await waiting).toEqual({ kind: 'gone' });
    expect(publisher.document(B)).toBeUndefined();
  });
});
