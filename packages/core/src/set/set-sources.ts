/**
 * What a compiled set keeps of the list it was built from, to explain a match as written.
 *
 * A server compiles hundreds of thousands of short lists; kept as an array of strings, a million
 * entries cost a million string objects and the arrays that hold them (~45 MB), though an entry as
 * written is read only to explain a match. A list of plain strings is therefore kept as one string
 * (entries joined by line breaks, which no entry contains), with the offsets of its entries only when
 * it is long enough for a scan to matter. Lists with names, ids or parsed entries keep their array.
 */
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

/**
 * The compact form of `sources` where it has one (every source a string without a line break), else
 * the array itself, frozen.
 *
 * @example
 * keepSources(['10.0.0.0/8', '2001:db8::/32']).at(1); // '2001:db8::/32'
 */
export function keepSources(sources: IpSetSource[]): SetSources {
  if (sources.length > 0 && sources.every((s) => typeof s === 'string' && !s.includes(SEPARATOR))) {
    return new JoinedSources(sources as string[]);
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
