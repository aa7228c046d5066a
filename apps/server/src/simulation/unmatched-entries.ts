import { DomainSet, type IpAddress, IpSet, type RequestOrigin } from '@ipgate/core';
import type { DraftEntry } from './draft.js';

/**
 * Finds the entries of a list that no request of a window would match: every entry that covers a
 * request's address (or origin, for a domain list) is crossed off, whether or not an earlier entry
 * covers it too. Cheap per request: one lookup in the set of the entries still uncrossed, and a scan
 * of those only when it hits — which crosses at least one off, so the scans are at most one per entry.
 *
 * @example
 * const u = new UnmatchedEntries(entries, 'ip');
 * u.see(IpAddress.parse('203.0.113.7'), { kind: 'server' });
 * u.entries; // the entries not crossed off
 */
export class UnmatchedEntries {
  private remaining: { entry: DraftEntry; ips?: IpSet; domains?: DomainSet }[];
  private union: IpSet | DomainSet | undefined;

  constructor(
    entries: readonly DraftEntry[],
    private readonly kind: 'ip' | 'domain',
  ) {
    this.remaining = entries.map((entry) =>
      kind === 'ip'
        ? { entry, ips: IpSet.from([entry.value]) }
        : { entry, domains: DomainSet.from([{ value: entry.value }]) },
    );
    this.rebuild();
  }

  /** The entries no request seen so far matched, in list order. */
  get entries(): readonly DraftEntry[] {
    return this.remaining.map((r) => r.entry);
  }

  see(client: IpAddress, origin: RequestOrigin): void {
    const union = this.union;
    if (union === undefined) return;
    if (union instanceof IpSet) {
      if (union.matchAddress(client) === undefined) return;
      this.remaining = this.remaining.filter((r) => r.ips?.matchAddress(client) === undefined);
    } else {
      if (origin.kind !== 'browser' || origin.origin === null) return;
      const o = origin.origin;
      if (union.match(o) === null) return;
      this.remaining = this.remaining.filter((r) => r.domains?.match(o) === null);
    }
    this.rebuild();
  }

  private rebuild(): void {
    if (this.remaining.length === 0) {
      this.union = undefined;
      return;
    }
    const values = this.remaining.map((r) => r.entry.value);
    this.union = this.kind === 'ip' ? IpSet.from(values) : DomainSet.from(values.map((value) => ({ value })));
  }
}
