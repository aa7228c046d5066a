import type { MatchedRule } from '@ipgate/core';
import type { EntryIds } from '../snapshot/entry-ids.js';
import type { CompiledApi, CompiledKey, CompiledTenant } from '../snapshot/snapshot.js';
import type { EntryHits } from '../store/store.js';

/** Hits of one position of one compiled list since the last drain. Mutated in place. */
interface Slot {
  hits: number;
  last: number;
}

/**
 * Counts, in memory, which list entries let requests through (docs/architecture/storage.md#entry-usage).
 *
 * A hit is keyed by the compiled list's `EntryIds` (one object per compiled list, so a `Map` lookup by
 * identity) and the entry's position in it: the request path neither reads an id nor allocates after
 * an entry's first hit of a period. Ids are looked up when {@link drain} runs, once per list, off the
 * request path. A list compiled again (a change) is a new object and counts apart; both resolve to
 * the same ids, which the store adds up.
 *
 * @example
 * const counter = new UsageCounter();
 * counter.countMatched(outcome.matched, outcome.api, outcome.tenant, outcome.key, Date.now());
 * await store.recordEntryUsage(counter.drain());
 */
export class UsageCounter {
  private lists = new Map<EntryIds, Map<number, Slot>>();

  /** Counts one hit of the entry at `index` of the list whose ids are `ids`, at `at` (ms). */
  count(ids: EntryIds, index: number, at: number): void {
    let slots = this.lists.get(ids);
    if (slots === undefined) {
      slots = new Map();
      this.lists.set(ids, slots);
    }
    const slot = slots.get(index);
    if (slot === undefined) slots.set(index, { hits: 1, last: at });
    else {
      slot.hits++;
      if (at > slot.last) slot.last = at;
    }
  }

  /**
   * Counts the entries a request matched: at most one per list, the one the compiled set attributes
   * the address to (the most specific; see docs/architecture/entries.md#compiled-sets). Domain rules
   * are not counted.
   */
  countMatched(
    matched: readonly MatchedRule[],
    api: CompiledApi | undefined,
    tenant: CompiledTenant | undefined,
    key: CompiledKey | undefined,
    at: number,
  ): void {
    for (let i = 0; i < matched.length; i++) {
      const m = matched[i] as MatchedRule;
      const ids =
        m.list === 'api-allowlist'
          ? api?.allowlistIds
          : m.list === 'tenant'
            ? tenant?.entryIds
            : m.list === 'key-ips'
              ? key?.ipIds
              : undefined;
      if (ids !== undefined) this.count(ids, m.index, at);
    }
  }

  /** How many lists have hits waiting. */
  get pendingLists(): number {
    return this.lists.size;
  }

  /** The hits counted since the last drain, by entry id, and a fresh start. */
  drain(): EntryHits[] {
    const lists = this.lists;
    this.lists = new Map();
    const out: EntryHits[] = [];
    for (const [ids, slots] of lists) {
      // The matched positions only: the list may hold thousands of entries and match a handful.
      const entryIds = ids.pick([...slots.keys()]);
      let k = 0;
      for (const slot of slots.values()) {
        const entryId = entryIds[k++];
        if (entryId === undefined) continue;
        out.push({ entryId, hits: slot.hits, lastMatchedAt: new Date(slot.last) });
      }
    }
    return out;
  }
}
