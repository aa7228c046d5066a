/**
 * The ids of a compiled list's entries, in list order, as one string. A node keeps an id per entry
 * (to say which entry matched, to count its use) but reads one rarely, so a million of them are kept
 * as a few hundred thousand joined strings rather than a million strings and the arrays holding them.
 * Ids are made by the store (`newId`: letters, digits and `_`), so a comma never occurs in one.
 */
export class EntryIds {
  static readonly none = new EntryIds('', 0);

  private constructor(
    private readonly joined: string,
    /** How many ids. */
    readonly size: number,
  ) {}

  /**
   * @example
   * EntryIds.of(['ent_1', 'ent_2']).at(1); // 'ent_2'
   */
  static of(ids: readonly string[]): EntryIds {
    if (ids.length === 0) return EntryIds.none;
    for (const id of ids) {
      if (id.includes(',')) throw new Error(`entry id ${JSON.stringify(id)} contains a comma`);
    }
    return new EntryIds(ids.join(','), ids.length);
  }

  /** The id at a position of the list, or undefined past its end. */
  at(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) return undefined;
    let start = 0;
    for (let i = 0; i < index; i++) start = this.joined.indexOf(',', start) + 1;
    const end = this.joined.indexOf(',', start);
    return this.joined.slice(start, end === -1 ? undefined : end);
  }
}
