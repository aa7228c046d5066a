/**
 * What a compiled set keeps of the list it was built from, to explain a match as written.
 *
 * A server compiles hundreds of thousands of short lists; kept as an array of strings, a million
 * entries cost a million string objects and the arrays that hold them (~45 MB), though an entry as
 * written is read only to explain a match. A list of plain strings is therefore kept as one string
 * (entries joined by line breaks, which no entry contains), with the offsets of its entries only when
 * it is long enough for a scan to matter. Lists with names, ids or parsed entries keep their array.
 *
 * A long list written the way big lists are (`a.b.c.d` or `a.b.c.d/len`, strict, as `scanPlainIPv4`
 * takes them) is packed further: such text is a function of its address and prefix length, so those
 * are kept (5 bytes an entry) and the text printed again when asked for, where the joined string
 * cost the text and a 4-byte offset (~20 bytes an entry). Entries written any other way keep their text.
 */
import { formatIPv4 } from '../address/ipv4.js';
import type { Entry, EntryInput } from '../entry/entry.js';

/** What a list may hold: entries as written, entries with names, or entries parsed already. */
export type IpSetSource = string | EntryInput | Entry;

/** The sources of a compiled set, by position. */
export interface SetSources {
  readonly length: number;
  /** The source at a position, or undefined past the end. */
  at(index: number): IpSetSource | undefined;
}

/** Longest list whose entries are found by scanning for line breaks rather than by stored offsets. */
const SCAN_MAX = 16;
const SEPARATOR = '\n';

/** In {@link PlainEntries.forms}: a dotted quad alone, or text that is not plain (kept as written). */
export const BARE = 33;
export const OTHER = 255;

/**
 * How the entries of a list were written, filled while the list is compiled: entry k is the dotted
 * quad `addresses[k]`, followed by `/forms[k]` when forms[k] is a prefix length (0–32), alone when it
 * is {@link BARE}, and something else when it is {@link OTHER}.
 */
export interface PlainEntries {
  readonly addresses: Uint32Array;
  readonly forms: Uint8Array;
}

/** Shortest list worth packing; a short one's joined text costs about what two typed arrays do. */
export const PACK_MIN = 64;

/**
 * The compact form of `sources` where it has one (every source a string without a line break), else
 * the array itself, frozen. `plain`, when given, says which entries are plain (see {@link PlainEntries});
 * its arrays are kept, not copied.
 *
 * @example
 * keepSources(['10.0.0.0/8', '2001:db8::/32']).at(1); // '2001:db8::/32'
 */
export function keepSources(sources: IpSetSource[], plain?: PlainEntries): SetSources {
  if (sources.length > 0 && sources.every((s) => typeof s === 'string' && !s.includes(SEPARATOR))) {
    const values = sources as string[];
    if (plain !== undefined && values.length >= PACK_MIN) {
      const others: string[] = [];
      for (let k = 0; k < values.length; k++) if (plain.forms[k] === OTHER) others.push(values[k] as string);
      // Packing pays its 5 bytes an entry back only when most entries are plain.
      if (others.length * 2 <= values.length) return new PackedSources(plain, others);
    }
    return new JoinedSources(values);
  }
  return Object.freeze(sources);
}

/** Strings joined into one, with the start of each when there are more than {@link SCAN_MAX}. */
class JoinedSources implements SetSources {
  readonly length: number;
  readonly #joined: string;
  readonly #starts: Uint32Array | undefined;

  constructor(values: readonly string[]) {
    this.length = values.length;
    // `join` builds one flat string (not a rope of pieces), so each entry costs its characters and a byte.
    this.#joined = values.join(SEPARATOR);
    if (values.length > SCAN_MAX) {
      const starts = new Uint32Array(values.length);
      let at = 0;
      for (let i = 0; i < values.length; i++) {
        starts[i] = at;
        at += (values[i] as string).length + 1;
      }
      this.#starts = starts;
    }
  }

  at(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const joined = this.#joined;
    let start: number;
    if (this.#starts !== undefined) {
      start = this.#starts[index] as number;
    } else {
      start = 0;
      for (let i = 0; i < index; i++) start = joined.indexOf(SEPARATOR, start) + 1;
    }
    const end = joined.indexOf(SEPARATOR, start);
    return joined.slice(start, end === -1 ? joined.length : end);
  }
}

/** Plain entries as address and prefix length; the others joined, each at its rank among them. */
class PackedSources implements SetSources {
  readonly length: number;
  readonly #addresses: Uint32Array;
  readonly #forms: Uint8Array;
  readonly #others: JoinedSources | undefined;

  constructor(plain: PlainEntries, others: readonly string[]) {
    const { addresses, forms } = plain;
    this.length = forms.length;
    // An entry that is not plain has no address: its slot holds its position among the others.
    let rank = 0;
    for (let k = 0; k < forms.length; k++) if (forms[k] === OTHER) addresses[k] = rank++;
    this.#addresses = addresses;
    this.#forms = forms;
    this.#others = others.length > 0 ? new JoinedSources(others) : undefined;
  }

  at(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const form = this.#forms[index] as number;
    const address = this.#addresses[index] as number;
    if (form === OTHER) return this.#others?.at(address);
    const quad = formatIPv4(address);
    return form === BARE ? quad : `${quad}/${form}`;
  }
}
