/**
 * Operators' names by ASN, kept where the garbage collector has nothing to trace: the ASNs sorted in
 * a typed array, every name in one string, cut at the offsets of another.
 *
 * Why not a `Map<number, string>` of the names as the CSV parser yields them: ~80,000 entries and
 * strings on the heap that every major GC marks, and each name of 13 characters or more a slice of
 * the whole file's text, so V8 kept both CSVs' text (~30 MB) alive with them. The process that loaded
 * the data then paid more for each major GC on every request it served, with no new address in sight.
 */
export class AsnNames {
  private constructor(
    private readonly asns: Uint32Array,
    /** Name `i` is `text.slice(ends[i - 1] ?? 0, ends[i])`. */
    private readonly ends: Uint32Array,
    private readonly text: string,
  ) {}

  /**
   * From ASN → name (each ASN a whole number in 1…2³²−1; the data's own). Copies the names into one
   * fresh string, so nothing of the strings they were cut from stays reachable.
   *
   * @example AsnNames.from(new Map([[13335, 'Cloudflare, Inc.']])).nameOf(13335); // 'Cloudflare, Inc.'
   */
  static from(names: ReadonlyMap<number, string>): AsnNames {
    const asns = Uint32Array.from(names.keys()).sort();
    const ends = new Uint32Array(asns.length);
    const parts: string[] = [];
    let at = 0;
    for (let i = 0; i < asns.length; i++) {
      const name = names.get(asns[i] as number) as string;
      parts.push(name);
      at += name.length;
      ends[i] = at;
    }
    // `join` builds one flat string of copied characters: no slice of the parser's input survives.
    return new AsnNames(asns, ends, parts.join(''));
  }

  /** How many ASNs have a name. */
  get size(): number {
    return this.asns.length;
  }

  /** The operator's name, or null when the data gives none for the ASN. */
  nameOf(asn: number): string | null {
    let lo = 0;
    let hi = this.asns.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const a = this.asns[mid] as number;
      if (a < asn) lo = mid + 1;
      else if (a > asn) hi = mid - 1;
      else return this.text.slice(mid === 0 ? 0 : (this.ends[mid - 1] as number), this.ends[mid] as number);
    }
    return null;
  }
}
