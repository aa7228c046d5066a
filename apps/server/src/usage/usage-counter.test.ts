import type { MatchedRule } from '@ipgate/core';
import { describe, expect, it } from 'vitest';
import { EntryIds } from '../snapshot/entry-ids.js';
import type { CompiledApi, CompiledKey, CompiledTenant } from '../snapshot/snapshot.js';
import { UsageCounter } from './usage-counter.js';

const rule = (list: MatchedRule['list'], index: number): MatchedRule => ({
  stage: 'tenant-restriction',
  list,
  index,
  name: undefined,
  id: undefined,
  value: '',
});

describe('UsageCounter', () => {
  it('counts hits per position and resolves ids when drained', () => {
    const ids = EntryIds.of(['ent_a', 'ent_b', 'ent_c']);
    const counter = new UsageCounter();
    counter.count(ids, 2, 1000);
    counter.count(ids, 2, 3000);
    counter.count(ids, 2, 2000);
    counter.count(ids, 0, 500);
    expect(counter.pendingLists).toBe(1);
    const drained = counter.drain().sort((a, b) => a.entryId.localeCompare(b.entryId));
    expect(drained).toEqual([
      { entryId: 'ent_a', hits: 1, lastMatchedAt: new Date(500) },
      { entryId: 'ent_c', hits: 3, lastMatchedAt: new Date(3000) },
    ]);
    expect(counter.drain()).toEqual([]);
  });

  it('counts one entry per matched list, from the compiled unit that list belongs to', () => {
    const api = { allowlistIds: EntryIds.of(['ent_api']) } as CompiledApi;
    const tenant = { entryIds: EntryIds.of(['ent_t0', 'ent_t1']) } as CompiledTenant;
    const key = { ipIds: EntryIds.of(['kip_0']) } as CompiledKey;
    const counter = new UsageCounter();
    const matched = [rule('api-allowlist', 0), rule('tenant', 1), rule('key-ips', 0), rule('key-domains', 0)];
    counter.countMatched(matched, api, tenant, key, 42);
    counter.countMatched(matched.slice(1, 2), api, tenant, key, 43);
    const byId = Object.fromEntries(counter.drain().map((h) => [h.entryId, h.hits]));
    expect(byId).toEqual({ ent_api: 1, ent_t1: 2, kip_0: 1 });
  });

  it('ignores a position past the end of its list (never invents an id)', () => {
    const counter = new UsageCounter();
    counter.count(EntryIds.of(['ent_a']), 5, 1);
    expect(counter.drain()).toEqual([]);
  });
});
