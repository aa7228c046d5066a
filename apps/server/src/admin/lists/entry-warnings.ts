/**
 * The warnings the entry routes answer with: core's warnings about the entry alone (covers everything,
 * non-public space, IPv4-mapped) and about the entry within its list (duplicate, covered by, overlaps),
 * and — for the entry just written — the list warnings of other entries that name it, turned around
 * (docs/architecture/entries.md#warnings).
 */
import { analyzeEntries, type EntryWarning, type NamedEntry, parseEntry } from '@ipgate/core';
import type { WarningType } from '../schemas/common.js';

/** What the analysis needs of a stored entry. */
export interface StoredEntry {
  readonly id: string;
  readonly name: string;
  readonly canonical: string;
}

/**
 * The warnings for the entry `entryId` of `list` (the list as it is after the write), including what it
 * does to the entries already there: `IPG_WARN_COVERS` when it makes narrower ones redundant,
 * `IPG_WARN_OVERLAPS` when it overlaps one that starts after it.
 *
 * @example
 * entryWarnings([{ id: 'a', name: '', canonical: '10.1.0.0/16' }, { id: 'b', name: 'all', canonical: '10.0.0.0/8' }], 'b');
 * // [{ code: 'IPG_WARN_NON_PUBLIC', … }, { code: 'IPG_WARN_COVERS', message: 'Covers entry 1 (10.1.0.0/16), which then changes nothing.' }]
 */
export function entryWarnings(list: readonly StoredEntry[], entryId: string): WarningType[] {
  const index = list.findIndex((e) => e.id === entryId);
  if (index < 0) return [];
  const named = toNamed(list);
  const analysis = analyzeEntries(named);
  const own = named[index]?.entry.warnings ?? [];
  const inList = analysis[index] ?? [];
  const covered: string[] = [];
  const overlapping: string[] = [];
  analysis.forEach((warnings, other) => {
    if (other === index) return;
    for (const w of warnings) {
      if (w.related?.index !== index) continue;
      if (w.code === 'IPG_WARN_COVERED_BY' || w.code === 'IPG_WARN_DUPLICATE')
        covered.push(label(list, other));
      else if (w.code === 'IPG_WARN_OVERLAPS') overlapping.push(label(list, other));
    }
  });
  const turned: WarningType[] = [];
  if (covered.length > 0) {
    turned.push({
      code: 'IPG_WARN_COVERS',
      message: `Covers ${covered.join(', ')}, which then ${covered.length === 1 ? 'changes' : 'change'} nothing.`,
    });
  }
  if (overlapping.length > 0 && !inList.some((w) => w.code === 'IPG_WARN_OVERLAPS')) {
    turned.push({ code: 'IPG_WARN_OVERLAPS', message: `Shares addresses with ${overlapping.join(', ')}.` });
  }
  return [...own, ...inList].map(plain).concat(turned);
}

/**
 * The warnings of every entry of a list, for the list routes: each entry's own warnings and its list
 * warnings (duplicate, covered by, overlaps), by entry id.
 *
 * @example
 * listWarnings(entries).get(entries[1].id); // [{ code: 'IPG_WARN_COVERED_BY', … }]
 */
export function listWarnings(list: readonly StoredEntry[]): Map<string, WarningType[]> {
  const named = toNamed(list);
  const analysis = analyzeEntries(named);
  const byId = new Map<string, WarningType[]>();
  list.forEach((e, i) => {
    byId.set(e.id, [...(named[i]?.entry.warnings ?? []), ...(analysis[i] ?? [])].map(plain));
  });
  return byId;
}

function toNamed(list: readonly StoredEntry[]): NamedEntry[] {
  // Stored canonical forms always parse; they are what the store accepted.
  return list.map((e) => ({ entry: parseEntry(e.canonical), ...(e.name === '' ? {} : { name: e.name }) }));
}

function label(list: readonly StoredEntry[], i: number): string {
  const e = list[i] as StoredEntry;
  return e.name === '' ? `entry ${i + 1} (${e.canonical})` : `"${e.name}" (${e.canonical})`;
}

function plain(w: EntryWarning): WarningType {
  return { code: w.code, message: w.message };
}
