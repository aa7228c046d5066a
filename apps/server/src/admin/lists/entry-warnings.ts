/**
 * The warnings an add or edit answers with: core's warnings about the entry alone (covers everything,
 * non-public space) and about the entry within its list (duplicate, covered by, overlaps).
 */
import { analyzeEntries, type NamedEntry, parseEntry } from '@ipgate/core';
import type { WarningType } from '../schemas/common.js';

/** What the analysis needs of a stored entry. */
export interface StoredEntry {
  readonly id: string;
  readonly name: string;
  readonly canonical: string;
}

/**
 * The warnings for the entry `entryId` of `list` (the list as it is after the write).
 *
 * @example
 * entryWarnings([{ id: 'a', name: 'all', canonical: '10.0.0.0/8' }, { id: 'b', name: '', canonical: '10.1.0.0/16' }], 'b');
 * // [{ code: 'IPG_WARN_NON_PUBLIC', … }, { code: 'IPG_WARN_COVERED_BY', message: 'Already covered by "all" (10.0.0.0/8).' }]
 */
export function entryWarnings(list: readonly StoredEntry[], entryId: string): WarningType[] {
  const index = list.findIndex((e) => e.id === entryId);
  if (index < 0) return [];
  // Stored canonical forms always parse; they are what the store accepted.
  const named: NamedEntry[] = list.map((e) => ({
    entry: parseEntry(e.canonical),
    ...(e.name === '' ? {} : { name: e.name }),
  }));
  const own = named[index]?.entry.warnings ?? [];
  const inList = analyzeEntries(named)[index] ?? [];
  return [...own, ...inList].map((w) => ({ code: w.code, message: w.message }));
}
