import type { IpSet } from '@ipgate/core';
import type { ListedFacts } from './assessment.js';
import type { NetworkFacts } from './network-facts.js';

const cache = new WeakMap<
  IpSet,
  { readonly source: NetworkFacts; readonly date: string | null; readonly listed: ListedFacts }
>();

/** Whether `list` holds `prefix`'s entries, as written and in its order, before any of its own. */
function startsWith(list: IpSet, prefix: IpSet): boolean {
  if (prefix.size > list.size) return false;
  for (let i = 0; i < prefix.size; i++) {
    if (list.sourceAt(i).value !== prefix.sourceAt(i).value) return false;
  }
  return true;
}

/**
 * The networks, ASNs and countries of a tenant's listed entries, each mapped to the first entry that
 * has it (its value as written, for the evidence). Built once per compiled list and data version:
 * a list change compiles a new set, and data that finished loading has a new date. Given the owner's
 * `previous` list, a list that only grew at its end looks up its new entries only.
 *
 * @example
 * listedFacts(tenant.restriction.list, facts).networks.get('198.51.100.0/24'); // '198.51.100.7'
 */
export function listedFacts(list: IpSet, facts: NetworkFacts, previous?: IpSet): ListedFacts {
  const date = facts.version.date;
  const hit = cache.get(list);
  if (hit !== undefined && hit.source === facts && hit.date === date) return hit.listed;
  let networks = new Map<string, string>();
  let asns = new Map<number, string>();
  let countries = new Map<string, string>();
  let from = 0;
  // A list that grew by entries added at its end (what the auto mode does, a batch at a time) starts
  // from the previous list's facts and looks up only the new entries: same maps, same first entries.
  const before = previous === undefined ? undefined : cache.get(previous);
  if (
    previous !== undefined &&
    before !== undefined &&
    before.source === facts &&
    before.date === date &&
    startsWith(list, previous)
  ) {
    networks = new Map(before.listed.networks);
    asns = new Map(before.listed.asns);
    countries = new Map(before.listed.countries);
    from = previous.size;
  }
  for (let i = from; i < list.size; i++) {
    const entry = list.entryAt(i);
    // A range names the networks of its two ends: an address inside it is listed already, so only
    // neighbours of its edges can be new.
    for (const end of entry.first.equals(entry.last) ? [entry.first] : [entry.first, entry.last]) {
      const f = facts.facts(end);
      if (!networks.has(f.network)) networks.set(f.network, entry.input);
      if (f.asn !== null && !asns.has(f.asn)) asns.set(f.asn, entry.input);
      if (f.country !== null && !countries.has(f.country)) countries.set(f.country, entry.input);
    }
  }
  const listed: ListedFacts = { size: list.size, networks, asns, countries };
  cache.set(list, { source: facts, date, listed });
  return listed;
}
