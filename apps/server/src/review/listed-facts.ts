import type { IpSet } from '@ipgate/core';
import type { ListedFacts } from './assessment.js';
import type { NetworkFacts } from './network-facts.js';

const cache = new WeakMap<
  IpSet,
  { readonly source: NetworkFacts; readonly date: string | null; readonly listed: ListedFacts }
>();

/**
 * The networks, ASNs and countries of a tenant's listed entries, each mapped to the first entry that
 * has it (its value as written, for the evidence). Built once per compiled list and data version:
 * a list change compiles a new set, and data that finished loading has a new date.
 *
 * @example
 * listedFacts(tenant.restriction.list, facts).networks.get('198.51.100.0/24'); // '198.51.100.7'
 */
export function listedFacts(list: IpSet, facts: NetworkFacts): ListedFacts {
  const date = facts.version.date;
  const hit = cache.get(list);
  if (hit !== undefined && hit.source === facts && hit.date === date) return hit.listed;
  const networks = new Map<string, string>();
  const asns = new Map<number, string>();
  const countries = new Map<string, string>();
  for (let i = 0; i < list.size; i++) {
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
