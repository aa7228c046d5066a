/**
 * The ids of a compiled list's entries, in list order, as one string. A node keeps an id per entry
 * (to say which entry matched, to count its use) but reads one rarely, so a million of them are kept
 * as a few hundred thousand strings rather than a million strings and the arrays holding them.
 *
 * Ids the store makes (`newId`: a prefix, `_` and 26 base-32 digits) are kept packed: the prefix once
 * per list, and each id's 26 digits as 17 one-byte characters (8 digits, 40 bits, in 5 bytes; the last
 * two digits in 2), about half of `ent_…,` written out — 17 MB less on a node holding 1,200,000
 * entries. Other ids (tests, older stores) are kept joined by commas, which no id contains.
 */
import { Buffer } from 'node:buffer';

let nextSerial = 0;
const PACKED_WIDTH = 17;

export class EntryIds {
  static readonly none = new EntryIds('', 0, undefined);
  /** Tells this list's ids apart from another's in the cache of recent ids (below). */
  private readonly serial = nextSerial++;

  private constructor(
    private readonly text: string,
    /** How many ids. */
    readonly size: number,
    /** The ids' common prefix (with its `_`) when they are packed; undefined when joined. */
    private readonly packedPrefix: string | undefined,
  ) {}

  /**
   * @example
   * EntryIds.of(['ent_1', 'ent_2']).at(1); // 'ent_2'
   */
  static of(ids: readonly string[]): EntryIds {
    if (ids.length === 0) return EntryIds.none;
    const packed = packAll(ids);
    if (packed !== undefined) return new EntryIds(packed.text, ids.length, sharedPrefix(packed.prefix));
    for (const id of ids) {
      if (id.includes(',')) throw new Error(`entry id ${JSON.stringify(id)} contains a comma`);
    }
    return new EntryIds(ids.join(','), ids.length, undefined);
  }

  /**
   * These ids followed by `more`: what `EntryIds.of` gives for the whole list, without unpacking this
   * one — packed ids are joined as they are (a copy of the text), so extending a list of 20,000 costs
   * the new ids, not the 20,000 (~4 ms to pack again). Falls back to packing all when the new ids do
   * not pack like these.
   *
   * @example
   * EntryIds.of(['ent_1']).with(['ent_2']).all(); // ['ent_1', 'ent_2']
   */
  with(more: readonly string[]): EntryIds {
    if (more.length === 0) return this;
    if (this.size === 0) return EntryIds.of(more);
    if (this.packedPrefix !== undefined) {
      const packed = packAll(more);
      if (packed !== undefined && sharedPrefix(packed.prefix) === this.packedPrefix)
        return new EntryIds(this.text + packed.text, this.size + more.length, this.packedPrefix);
      return EntryIds.of([...this.all(), ...more]);
    }
    // Joined: these did not all pack, so neither would the whole list; `of` would join it too.
    for (const id of more) {
      if (id.includes(',')) throw new Error(`entry id ${JSON.stringify(id)} contains a comma`);
    }
    return new EntryIds(`${this.text},${more.join(',')}`, this.size + more.length, undefined);
  }

  /** The id at a position of the list, or undefined past its end. */
  at(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) return undefined;
    if (this.packedPrefix !== undefined) {
      const at = index * PACKED_WIDTH;
      // The slot: the id's last two packed characters, its last base-32 digits — the part that
      // differs between ids made one after another.
      const slot = ((this.text.charCodeAt(at + 15) << 8) | this.text.charCodeAt(at + 16)) & RECENT_MASK;
      if (recentOwner[slot] === this.serial && recentIndex[slot] === index) return recentId[slot];
      const id = this.packedPrefix + unpack(this.text, at);
      recentOwner[slot] = this.serial;
      recentIndex[slot] = index;
      recentId[slot] = id;
      return id;
    }
    let start = 0;
    for (let i = 0; i < index; i++) start = this.text.indexOf(',', start) + 1;
    const end = this.text.indexOf(',', start);
    return this.text.slice(start, end === -1 ? undefined : end);
  }

  /**
   * The ids at `indexes` (undefined for a position past the end), in their order: for the drain of
   * the usage counter, which names the few positions a period matched of a list that may hold
   * 20,000. Packed ids are unpacked one by one, so this costs the positions, not the list: an `auto`
   * tenant is compiled again after every batch, and one `all()` per compiled list and drain unpacked
   * the whole list each time. Joined ids are split once, as `all()` does (finding a position in them
   * walks the text up to it).
   *
   * @example
   * EntryIds.of(['ent_1', 'ent_2', 'ent_3']).pick([2, 0, 7]); // ['ent_3', 'ent_1', undefined]
   */
  pick(indexes: readonly number[]): (string | undefined)[] {
    if (this.packedPrefix === undefined) {
      const all = this.all();
      return indexes.map((i) => (Number.isInteger(i) && i >= 0 ? all[i] : undefined));
    }
    const prefix = this.packedPrefix;
    return indexes.map((i) =>
      Number.isInteger(i) && i >= 0 && i < this.size
        ? prefix + unpack(this.text, i * PACKED_WIDTH)
        : undefined,
    );
  }

  /**
   * Every id, in list order (one split: for reading many positions at once, never per request).
   *
   * @example
   * EntryIds.of(['ent_1', 'ent_2']).all(); // ['ent_1', 'ent_2']
   */
  all(): string[] {
    if (this.size === 0) return [];
    if (this.packedPrefix === undefined) return this.text.split(',');
    const out: string[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.packedPrefix + unpack(this.text, i * PACKED_WIDTH);
    return out;
  }
}

/**
 * Ids recently unpacked, direct-mapped: every recorded request names the entries it matched, and a
 * busy node matches the same few entries again and again; unpacking one (three `toString(32)` of
 * 40-bit numbers) was ~0.5 µs, ~1.5 µs per request for three lists (bench/README.md, "What each change
 * gave"). Bounded (at most RECENT_SLOTS ids held, whichever lists they belong to), so the memory the
 * packing saves is not spent again; a slot taken by another id is simply overwritten.
 */
const RECENT_SLOTS = 1024;
const RECENT_MASK = RECENT_SLOTS - 1;
// By serial, not by reference: a slot must not keep a replaced list (and its text) alive.
const recentOwner = new Float64Array(RECENT_SLOTS).fill(-1);
const recentIndex = new Int32Array(RECENT_SLOTS).fill(-1);
const recentId: (string | undefined)[] = new Array(RECENT_SLOTS).fill(undefined);

const prefixes = new Map<string, string>();

/** `prefix_`, one string for every list with that prefix (200,000 lists would otherwise hold 200,000). */
function sharedPrefix(prefix: string): string {
  let shared = prefixes.get(prefix);
  if (shared === undefined) {
    shared = `${prefix}_`;
    // The store makes a handful of prefixes; a bound keeps odd input from growing this for ever.
    if (prefixes.size < 64) prefixes.set(prefix, shared);
  }
  return shared;
}

/**
 * Every id packed, when each is the store's kind with the first one's prefix (`[a-z]+`, `_`, 26
 * base-32 digits); else undefined. Each id's digits become 17 characters of 0-255: three groups of 8
 * digits (40 bits) in 5 bytes, big-endian, then the last 2 digits (10 bits) in 2. Written into one
 * buffer read once as Latin-1 (one character per byte): every node compiles a tenant's whole list
 * again on each change to it — in `auto`, every few hundred milliseconds — and packing id by id (a
 * regular expression, `parseInt` and a small string per group) cost more than compiling the
 * addresses themselves (bench/README.md#auto-review).
 */
function packAll(ids: readonly string[]): { prefix: string; text: string } | undefined {
  const first = ids[0] as string;
  const cut = first.indexOf('_');
  if (cut < 1) return undefined;
  for (let i = 0; i < cut; i++) {
    const c = first.charCodeAt(i);
    if (c < 97 || c > 122) return undefined; // a-z
  }
  const prefix = first.slice(0, cut);
  const length = cut + 1 + 26;
  const bytes = Buffer.allocUnsafe(ids.length * PACKED_WIDTH);
  let at = 0;
  for (const id of ids) {
    if (id.length !== length || id.charCodeAt(cut) !== 95 || !id.startsWith(prefix)) return undefined;
    let from = cut + 1;
    for (let g = 0; g < 3; g++) {
      // 8 digits as two halves of 20 bits, so that every step stays in 32-bit integers.
      const high = digits(id, from, 4);
      const low = digits(id, from + 4, 4);
      if (high < 0 || low < 0) return undefined;
      from += 8;
      bytes[at++] = high >>> 12;
      bytes[at++] = (high >>> 4) & 255;
      bytes[at++] = ((high & 15) << 4) | (low >>> 16);
      bytes[at++] = (low >>> 8) & 255;
      bytes[at++] = low & 255;
    }
    const tail = digits(id, from, 2);
    if (tail < 0) return undefined;
    bytes[at++] = tail >>> 8;
    bytes[at++] = tail & 255;
  }
  return { prefix, text: bytes.toString('latin1') };
}

/** The value of `count` base-32 digits (`0-9a-v`) of `text` from `from`, or -1 if one is not a digit. */
function digits(text: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 118 ? c - 87 : -1;
    if (d < 0) return -1;
    v = (v << 5) | d;
  }
  return v;
}

function unpack(text: string, at: number): string {
  let out = '';
  for (let g = 0; g < 3; g++) {
    let v = 0;
    for (let b = 0; b < 5; b++) v = v * 256 + text.charCodeAt(at + g * 5 + b);
    out += v.toString(32).padStart(8, '0');
  }
  const tail = (text.charCodeAt(at + 15) << 8) | text.charCodeAt(at + 16);
  return out + tail.toString(32).padStart(2, '0');
}
