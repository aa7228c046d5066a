import type { IpAddress, IpFamily } from '../address/ip-address.js';
import { scanIPv4 } from '../address/ipv4.js';
import { isIPv4MappedWords, scanIPv6 } from '../address/ipv6.js';
import type { Entry } from '../entry/entry.js';
import { parseEntry } from '../entry/parse-entry.js';
import { createEntryBounds, scanEntry, scanPlainIPv4 } from '../entry/scan-entry.js';
import { bigintKeys, buildSegments } from './build-segments.js';
import { buildIPv4Segments } from './ipv4-segments.js';
import { IPv4Table } from './ipv4-table.js';
import { IPv6Table } from './ipv6-table.js';
import {
  type AddressRange,
  complementRanges,
  intersectRanges,
  mergeRanges,
  rangeToText,
} from './range-algebra.js';
import {
  BARE,
  type IpSetSource,
  keepSources,
  OTHER,
  PACK_MIN,
  type PlainEntries,
  type SetSources,
} from './set-sources.js';
import {
  type IPv4Lookup,
  IPv4SmallTable,
  type IPv6Lookup,
  IPv6SmallTable,
  SMALL_TABLE_MAX,
} from './small-tables.js';

export type { IpSetSource } from './set-sources.js';

/** The entry that decides a match: the most specific one containing the address. */
export interface IpSetMatch {
  /** Position of the entry in the list the set was built from. */
  readonly index: number;
  readonly name: string | undefined;
  readonly id: string | undefined;
  /** The entry as written. */
  readonly value: string;
}

const EMPTY_V4 = new IPv4Table([], [], []);
/**
 * At most this many addresses appended by `withAddresses` are kept beside the tables (at least
 * RECENT_MIN, at most a quarter of the list): rebuilding that small set costs little per append,
 * and folding it in costs one build of the list per that many addresses.
 */
const RECENT_MAX = 1024;
const RECENT_MIN = 64;
const EMPTY_V6 = new IPv6Table([], [], []);
const MAPPED_FIRST = 0xffff00000000n;
const MAPPED_LAST = 0xffffffffffffn;
const scratch = new Uint32Array(4);

/**
 * The IPv4 intervals of the list being compiled, in typed arrays kept from one compilation to the
 * next (`from` runs to the end without yielding, so one set of them serves every call). Fresh ones per
 * list cost a server that compiles 200,000 short lists 800,000 short-lived allocations outside the
 * heap, whose freed memory the C allocator keeps (tens of MB of resident memory for nothing). A long
 * list gets its own, freed with it, so one big list does not leave big buffers behind.
 */
const SCRATCH_MAX = 4096;
const scratch4 = makeBuffers(SCRATCH_MAX);

function buildBuffers(count: number): ReturnType<typeof makeBuffers> {
  return count <= SCRATCH_MAX ? scratch4 : makeBuffers(count);
}

function makeBuffers(size: number) {
  return {
    v4Starts: new Float64Array(size),
    v4Ends: new Float64Array(size),
    v4Owners: new Int32Array(size),
    // The size of each interval's whole entry, which differs from the interval's for clipped mapped entries.
    v4Sizes: new Float64Array(size),
  };
}

/**
 * An immutable, compiled allowlist of IPv4 and IPv6 entries in any form.
 *
 * Compile once when the rules change; a lookup parses only the address it is given and costs
 * O(log n) in the number of entries. IPv4-mapped addresses (`::ffff:a.b.c.d`) match as their IPv4
 * address, and an IPv4-mapped entry matches IPv4 callers; nothing else is unmapped.
 *
 * @example
 * const office = IpSet.from(['203.0.113.0/24', { value: '2001:db8::/48', name: 'office v6' }]);
 * office.has('203.0.113.7'); // true
 * office.has('::ffff:203.0.113.7'); // true
 * office.has('203.0.113.07'); // false: not a strict address, so not allowed
 * office.match('2001:db8::1')?.name; // 'office v6'
 */
export class IpSet {
  private constructor(
    private readonly sources: SetSources,
    private readonly v4: IPv4Lookup,
    private readonly v6: IPv6Lookup,
    /**
     * Single addresses appended by {@link withAddresses}, none in the tables above: their entries
     * follow the tables' in list order (positions from `sources.length`).
     */
    private readonly recent: IpSet | undefined = undefined,
  ) {}

  /** An empty set: matches nothing. */
  static readonly empty: IpSet = IpSet.from([]);

  /**
   * Compiles a list. Throws the first bad entry's `IpGateError`, with its position in `index` and in the message.
   *
   * @example
   * IpSet.from(['10.0.0.0/8', '192.168.1.10 - 192.168.1.20', '2001:db8::/32']);
   */
  static from(list: Iterable<IpSetSource>): IpSet {
    const sources = Array.from(list);
    const count = sources.length;
    let v4Count = 0;
    const { v4Starts, v4Ends, v4Owners, v4Sizes } = buildBuffers(count);
    const v6Starts: bigint[] = [];
    const v6Ends: bigint[] = [];
    const v6Owners: number[] = [];
    const v6Sizes: number[] = [];
    const bounds = createEntryBounds();
    // How long lists of strings are written, for keepSources to pack (set-sources.ts).
    const plain: PlainEntries | undefined =
      count >= PACK_MIN && typeof sources[0] === 'string'
        ? { addresses: new Uint32Array(count), forms: new Uint8Array(count) }
        : undefined;
    for (let index = 0; index < count; index++) {
      const source = sources[index] as IpSetSource;
      if (typeof source === 'string' && scanPlainIPv4(source, bounds)) {
        // What big lists hold; scanEntry would take the same path, and this one notes the form.
        if (plain !== undefined) {
          plain.addresses[index] = bounds.first[3] as number;
          plain.forms[index] = bounds.prefix < 0 ? BARE : bounds.prefix;
        }
      } else if (typeof source === 'object' && 'canonical' in source) {
        // Parsed already: take its bounds as they are.
        const { first, last } = source;
        bounds.family = source.family;
        bounds.first.set([first.w0, first.w1, first.w2, first.w3]);
        bounds.last.set([last.w0, last.w1, last.w2, last.w3]);
      } else {
        const text = typeof source === 'string' ? source : source.value;
        const type = typeof source === 'string' ? undefined : source.type;
        const error = scanEntry(text, bounds, type);
        if (error !== undefined) throw error.withContext({ index });
        if (plain !== undefined) plain.forms[index] = OTHER;
      }
      if (bounds.family === 4) {
        const first = bounds.first[3] as number;
        const last = bounds.last[3] as number;
        v4Starts[v4Count] = first;
        v4Ends[v4Count] = last;
        v4Sizes[v4Count] = last - first + 1;
        v4Owners[v4Count++] = index;
        continue;
      }
      const lo = wordsToBigInt(bounds.first);
      const hi = wordsToBigInt(bounds.last);
      const size = Number(hi - lo + 1n);
      const pushV6 = (first: bigint, last: bigint): void => {
        v6Starts.push(first);
        v6Ends.push(last);
        v6Owners.push(index);
        v6Sizes.push(size);
      };
      if (hi < MAPPED_FIRST || lo > MAPPED_LAST) {
        pushV6(lo, hi);
        continue;
      }
      // The IPv4-mapped part matches as IPv4, because lookups unmap before they search.
      v4Starts[v4Count] = Number((lo > MAPPED_FIRST ? lo : MAPPED_FIRST) - MAPPED_FIRST);
      v4Ends[v4Count] = Number((hi < MAPPED_LAST ? hi : MAPPED_LAST) - MAPPED_FIRST);
      v4Sizes[v4Count] = size;
      v4Owners[v4Count++] = index;
      if (lo < MAPPED_FIRST) pushV6(lo, MAPPED_FIRST - 1n);
      if (hi > MAPPED_LAST) pushV6(MAPPED_LAST + 1n, hi);
    }
    const s4 = buildIPv4Segments(v4Starts, v4Ends, v4Owners, v4Count, v4Sizes);
    const s6 = buildSegments(v6Starts, v6Ends, v6Owners, v6Starts.length, bigintKeys, v6Sizes);
    // Most lists hold one family only: the other half is the shared empty table, not four empty typed
    // arrays of its own (a node with 100,000 tenants' lists would spend ~60 MB on those); short ones
    // go in one plain array (small-tables.ts).
    return new IpSet(
      keepSources(sources, plain),
      s4.starts.length === 0
        ? EMPTY_V4
        : s4.starts.length <= SMALL_TABLE_MAX
          ? new IPv4SmallTable(s4.starts, s4.ends, s4.owners)
          : new IPv4Table(s4.starts, s4.ends, s4.owners),
      s6.starts.length === 0
        ? EMPTY_V6
        : s6.starts.length <= SMALL_TABLE_MAX
          ? new IPv6SmallTable(s6.starts, s6.ends, s6.owners)
          : new IPv6Table(s6.starts, s6.ends, s6.owners),
    );
  }

  /**
   * This set with single addresses appended as entries at the end of its list: what `IpSet.from`
   * gives for the whole list, without building the whole list again — when no address is in the set
   * already, the appended ones are kept in a small set of their own beside the tables, and a lookup
   * that misses the tables asks it (an address is then in one of the two only, so the most specific
   * entry is the same as the whole list's). Folded into the tables (the whole list built) once it
   * grows past {@link RECENT_MAX} entries or a quarter of the list. Undefined when a value is not a
   * single address, or is in the set already: build the whole list with `IpSet.from` then. A bad value
   * throws as `from` does.
   *
   * @example
   * IpSet.from(['10.0.0.0/8']).withAddresses(['192.0.2.7'])?.match('192.0.2.7')?.index; // 1
   * IpSet.from(['10.0.0.0/8']).withAddresses(['10.0.0.7']); // undefined: covered already
   */
  withAddresses(values: readonly string[]): IpSet | undefined {
    if (values.length === 0) return this;
    const entries = values.map((v) => parseEntry(v));
    for (const e of entries) {
      const a = e.first;
      if (a.w0 !== e.last.w0 || a.w1 !== e.last.w1 || a.w2 !== e.last.w2 || a.w3 !== e.last.w3)
        return undefined;
      if (this.hasAddress(a)) return undefined;
    }
    const recent = this.recent?.sourceValues() ?? [];
    const base = this.sources.length;
    if (recent.length + values.length > Math.min(RECENT_MAX, Math.max(RECENT_MIN, base >> 2)))
      return IpSet.from([...this.sourceValues(), ...values]);
    return new IpSet(this.sources, this.v4, this.v6, IpSet.from([...recent, ...values]));
  }

  /** Every entry's value as given, in list order. */
  private sourceValues(): string[] {
    const out: string[] = new Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = this.sourceAt(i).value;
    return out;
  }

  /** How many entries the set was built from. */
  get size(): number {
    return this.sources.length + (this.recent?.size ?? 0);
  }

  /** True when no address matches. */
  get isEmpty(): boolean {
    return this.v4.size === 0 && this.v6.size === 0 && (this.recent?.isEmpty ?? true);
  }

  /**
   * True when the address is in the set. Text that is not a strict address is never in it (fail closed).
   *
   * @example IpSet.from(['10.0.0.0/8']).has('10.1.2.3'); // true
   */
  has(address: string): boolean {
    return this.tablesHave(address) || (this.recent?.has(address) ?? false);
  }

  private tablesHave(address: string): boolean {
    // A dotted quad is at most 15 characters (255.255.255.255): longer text goes straight to the IPv6
    // scanner, which is what a lookup of an IPv6 address spends its time in (bench/README.md, IPv6).
    const v4 = address.length <= 15 ? scanIPv4(address, 0, address.length) : -1;
    if (v4 >= 0) return this.v4.contains(v4);
    if (!scanIPv6(address, 0, address.length, scratch)) return false;
    const w0 = scratch[0] as number;
    const w1 = scratch[1] as number;
    const w2 = scratch[2] as number;
    const w3 = scratch[3] as number;
    if (isIPv4MappedWords(w0, w1, w2)) return this.v4.contains(w3);
    return this.v6.contains(w0, w1, w2, w3);
  }

  /** Like {@link has}, for an address parsed already (parse the client address once per request). */
  hasAddress(address: IpAddress): boolean {
    if (address.family === 4 || address.isIPv4Mapped) {
      if (this.v4.contains(address.w3)) return true;
    } else if (this.v6.contains(address.w0, address.w1, address.w2, address.w3)) return true;
    return this.recent?.hasAddress(address) ?? false;
  }

  /**
   * The most specific entry containing the address, for explanations; undefined when none does.
   *
   * @example IpSet.from([{ value: '10.0.0.0/8', name: 'vpn' }]).match('10.9.9.9')?.name; // 'vpn'
   */
  match(address: string): IpSetMatch | undefined {
    const found = this.findText(address);
    if (found === -1 && this.recent !== undefined) return this.fromRecent(this.recent.match(address));
    return this.describe(found);
  }

  /** Like {@link match}, for an address parsed already. */
  matchAddress(address: IpAddress): IpSetMatch | undefined {
    const found = this.findAddress(address);
    if (found === -1 && this.recent !== undefined) return this.fromRecent(this.recent.matchAddress(address));
    return this.describe(found);
  }

  /** A match of the recent addresses' set, at its position in the whole list. */
  private fromRecent(m: IpSetMatch | undefined): IpSetMatch | undefined {
    return m === undefined ? undefined : { ...m, index: this.sources.length + m.index };
  }

  /** The entry at a position, parsed (for explanations and listings; not for the request path). */
  entryAt(index: number): Entry {
    if (this.recent !== undefined && index >= this.sources.length)
      return this.recent.entryAt(index - this.sources.length);
    const source = this.sources.at(index);
    if (source === undefined) throw new RangeError(`no entry at ${index}`);
    if (typeof source === 'string') return parseEntry(source);
    if ('canonical' in source) return source;
    return parseEntry(source.value, { type: source.type });
  }

  /**
   * The entry at a position as it was given: its id and name when it had them, and its value as
   * written (for listings and published copies of a compiled list; not for the request path).
   *
   * @example IpSet.from([{ value: '10/8', id: 'ent_1', name: 'vpn' }]).sourceAt(0); // { index: 0, id: 'ent_1', name: 'vpn', value: '10/8' }
   */
  sourceAt(index: number): IpSetMatch {
    if (this.recent !== undefined && index >= this.sources.length)
      return { ...this.recent.sourceAt(index - this.sources.length), index };
    const source = this.sources.at(index);
    if (source === undefined) throw new RangeError(`no entry at ${index}`);
    if (typeof source === 'string') return { index, name: undefined, id: undefined, value: source };
    if ('canonical' in source) return { index, name: undefined, id: undefined, value: source.input };
    return { index, name: source.name, id: source.id, value: source.value };
  }

  /** The addresses of the set as sorted, merged ranges (IPv4 first). Mapped entries show as IPv4. */
  ranges(): AddressRange[] {
    const out: AddressRange[] = [];
    for (let k = 0; k < this.v4.size; k++) {
      out.push({
        family: 4,
        first: BigInt(this.v4.startAt(k)),
        last: BigInt(this.v4.endAt(k)),
      });
    }
    for (let k = 0; k < this.v6.size; k++) {
      const [first, last] = this.v6.bounds(k);
      out.push({ family: 6, first, last });
    }
    if (this.recent !== undefined) out.push(...this.recent.ranges());
    return mergeRanges(out);
  }

  /** How many addresses of a family the set holds. */
  addressCount(family: IpFamily): bigint {
    let n = 0n;
    for (const r of this.ranges()) if (r.family === family) n += r.last - r.first + 1n;
    return n;
  }

  /**
   * Every address in this set or the other, as a new set of merged ranges.
   *
   * @example IpSet.from(['10.0.0.0/9']).union(IpSet.from(['10.128.0.0/9'])).ranges().length; // 1
   */
  union(other: IpSet): IpSet {
    return IpSet.fromRanges([...this.ranges(), ...other.ranges()]);
  }

  /** Every address in both sets. */
  intersection(other: IpSet): IpSet {
    return IpSet.fromRanges(intersectRanges(this.ranges(), other.ranges()));
  }

  /** Every address in this set and not in the other. */
  difference(other: IpSet): IpSet {
    return IpSet.fromRanges(intersectRanges(this.ranges(), complementRanges(other.ranges())));
  }

  /** True when some address is in both sets. */
  overlaps(other: IpSet): boolean {
    return intersectRanges(this.ranges(), other.ranges()).length > 0;
  }

  private static fromRanges(ranges: readonly AddressRange[]): IpSet {
    return IpSet.from(mergeRanges(ranges).map(rangeToText));
  }

  private findText(address: string): number {
    const v4 = scanIPv4(address, 0, address.length);
    if (v4 >= 0) return this.v4.find(v4);
    if (!scanIPv6(address, 0, address.length, scratch)) return -1;
    const w0 = scratch[0] as number;
    const w1 = scratch[1] as number;
    const w2 = scratch[2] as number;
    const w3 = scratch[3] as number;
    if (isIPv4MappedWords(w0, w1, w2)) return this.v4.find(w3);
    return encodeV6(this.v6.find(w0, w1, w2, w3));
  }

  private findAddress(address: IpAddress): number {
    if (address.family === 4 || address.isIPv4Mapped) return this.v4.find(address.w3);
    return encodeV6(this.v6.find(address.w0, address.w1, address.w2, address.w3));
  }

  private describe(found: number): IpSetMatch | undefined {
    if (found === -1) return undefined;
    return this.sourceAt(found >= 0 ? this.v4.ownerAt(found) : this.v6.ownerAt(-2 - found));
  }
}

/** IPv6 segment k is reported as -2 - k, so one number carries family and position. */
function encodeV6(k: number): number {
  return k < 0 ? -1 : -2 - k;
}

function wordsToBigInt(w: Uint32Array): bigint {
  return (
    (BigInt(w[0] as number) << 96n) |
    (BigInt(w[1] as number) << 64n) |
    (BigInt(w[2] as number) << 32n) |
    BigInt(w[3] as number)
  );
}
