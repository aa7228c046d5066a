/**
 * What importing a file does to a network list (docs/architecture/management.md#importing-a-list),
 * decided the same way by the preview and by the store's one transaction: lines are matched to
 * entries by canonical form; a matched entry takes the properties the line gives, a line that
 * matches nothing is added, and in `replace` mode an entry no line names is removed.
 */
import { createHash } from 'node:crypto';
import type { IpListEntry, UpdateIpEntryInput } from './store.js';

/** `merge` keeps entries the file does not name; `replace` removes them. */
export type ImportMode = 'merge' | 'replace';

/** The modes, for validation and schemas. */
export const IMPORT_MODES: readonly ImportMode[] = ['merge', 'replace'];

/** Most entries one import may hold. */
export const MAX_IMPORT_ENTRIES = 1_000;

/**
 * One line of an import, checked already. A property left undefined is one the file does not say:
 * a matched entry keeps it, a new entry gets the default (no name, enabled, no expiry).
 */
export interface ImportRow {
  /** As written, trimmed. */
  readonly value: string;
  readonly canonical: string;
  readonly name?: string | undefined;
  readonly enabled?: boolean | undefined;
  readonly expiresAt?: Date | null | undefined;
  /** 1-based line of the file. */
  readonly line: number;
}

/** A matched entry and what the line changes of it. */
export interface PlannedUpdate<E extends IpListEntry> {
  readonly before: E;
  readonly patch: UpdateIpEntryInput;
  readonly line: number;
}

/** What an import will write. */
export interface ImportPlan<E extends IpListEntry> {
  readonly mode: ImportMode;
  readonly add: readonly ImportRow[];
  readonly update: readonly PlannedUpdate<E>[];
  readonly remove: readonly E[];
  /** Matched entries the file leaves exactly as they are, with their line. */
  readonly unchanged: readonly { readonly entry: E; readonly line: number }[];
  /** How many entries the list holds afterwards. */
  readonly count: number;
}

/**
 * Plans an import of `rows` (no two with one canonical form) into a list holding `current`.
 *
 * @example
 * const plan = planImport(entries, [{ value: '10.0.0.0/8', canonical: '10.0.0.0/8', name: 'vpn', line: 1 }], 'replace');
 * plan.remove.length; // every entry but 10.0.0.0/8
 */
export function planImport<E extends IpListEntry>(
  current: readonly E[],
  rows: readonly ImportRow[],
  mode: ImportMode,
): ImportPlan<E> {
  const byCanonical = new Map(current.map((e) => [e.canonical, e]));
  const named = new Set<string>();
  const add: ImportRow[] = [];
  const update: PlannedUpdate<E>[] = [];
  const unchanged: { entry: E; line: number }[] = [];
  for (const row of rows) {
    named.add(row.canonical);
    const entry = byCanonical.get(row.canonical);
    if (entry === undefined) {
      add.push(row);
      continue;
    }
    const patch = patchOf(entry, row);
    if (Object.keys(patch).length === 0) unchanged.push({ entry, line: row.line });
    else update.push({ before: entry, patch, line: row.line });
  }
  const remove = mode === 'replace' ? current.filter((e) => !named.has(e.canonical)) : [];
  return { mode, add, update, remove, unchanged, count: current.length - remove.length + add.length };
}

/** The properties the line sets that differ from the entry. */
function patchOf(entry: IpListEntry, row: ImportRow): UpdateIpEntryInput {
  const patch: { -readonly [K in keyof UpdateIpEntryInput]: UpdateIpEntryInput[K] } = {};
  if (row.value !== entry.value) patch.value = row.value;
  if (row.name !== undefined && row.name !== entry.name) patch.name = row.name;
  if (row.enabled !== undefined && row.enabled !== entry.enabled) patch.enabled = row.enabled;
  if (row.expiresAt !== undefined && row.expiresAt?.getTime() !== entry.expiresAt?.getTime())
    patch.expiresAt = row.expiresAt;
  return patch;
}

/**
 * A fingerprint of a list as it is: every entry's id and version. A preview or an export hands it
 * out; an import that names it applies only while the list still has it, so a file prepared against
 * one state of the list is never applied over someone else's edit made meanwhile.
 *
 * @example
 * listBasis([{ id: 'ent_1', version: 2 }]); // 'b_3f…' (hex)
 */
export function listBasis(entries: readonly { readonly id: string; readonly version: number }[]): string {
  const hash = createHash('sha256');
  for (const e of [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
    hash.update(`${e.id}:${e.version}\n`);
  return `b_${hash.digest('hex').slice(0, 32)}`;
}
