/**
 * What a run of `changes` rows asks a node to read again, and the checks on the rows it reads for
 * tenants that only had entries added: the part of `rulesSince` that is the same however the rows are
 * read (rule-units.ts, postgres-rules-since.ts).
 */
import type { Selectable } from 'kysely';
import type { IpListEntryColumns } from './database.js';
import { toBool, toDateOrNull } from './rows.js';
import type { RuleEntry } from './store.js';

/** A `changes` row as `rulesSince` reads it. */
export interface ChangeRow {
  readonly version: number;
  readonly tenant_id: string | null;
  readonly api_id: string | null;
  readonly key_id: string | null;
  readonly kind: string;
  readonly added_entries: string | null;
}

/** The units a run of changes touched. */
export interface ChangedUnits {
  /** The version of the last change, or the one asked from when there is none. */
  readonly top: number;
  readonly tenantIds: Set<string>;
  readonly apiIds: Set<string>;
  readonly keyIds: Set<string>;
  /**
   * Per tenant whose every change only added entries, the ids they added, oldest first (a tenant
   * leaves this map for good at its first change of any other kind).
   */
  readonly addedTo: Map<string, string[]>;
}

/**
 * The units `changes` (in version order, after `version`) touched.
 *
 * @example
 * const { tenantIds, addedTo } = changedUnits(rows, snapshot.version);
 */
export function changedUnits(changes: readonly ChangeRow[], version: number): ChangedUnits {
  const tenantIds = new Set<string>();
  const apiIds = new Set<string>();
  const keyIds = new Set<string>();
  const addedTo = new Map<string, string[]>();
  for (const c of changes) {
    // Principals (admin tokens, users) decide who manages rules, not what they are.
    if (c.kind.startsWith('principal.')) continue;
    // A change names every unit it touched: a key's change names its tenant too, and a review
    // action names the key that called as well as the tenant list it added to.
    if (c.tenant_id !== null) {
      const first = !tenantIds.has(c.tenant_id);
      tenantIds.add(c.tenant_id);
      const added = addedTo.get(c.tenant_id);
      if (c.added_entries === null || (!first && added === undefined)) addedTo.delete(c.tenant_id);
      else if (c.added_entries !== '') {
        if (added === undefined) addedTo.set(c.tenant_id, c.added_entries.split(','));
        else added.push(...c.added_entries.split(','));
      } else if (added === undefined) addedTo.set(c.tenant_id, []);
    }
    if (c.api_id !== null) apiIds.add(c.api_id);
    if (c.key_id !== null) keyIds.add(c.key_id);
  }
  const top = changes.length === 0 ? version : Number((changes[changes.length - 1] as ChangeRow).version);
  return { top, tenantIds, apiIds, keyIds, addedTo };
}

/** An entry row as the rules read it. */
export type EntryRow = Pick<Selectable<IpListEntryColumns>, 'id' | 'name' | 'type' | 'value' | 'expires_at'>;

/** An entry row read by id for a tenant's additions, with what decides whether it may be appended. */
export type AddedEntryRow = EntryRow & {
  readonly tenant_id: string;
  readonly enabled: number | boolean;
};

/**
 * The ids each tenant's add-only changes added, as the rows to read by id: id → tenant. A tenant
 * that added an id twice is left out (not an add-only run).
 */
export function wantedAdditions(addedTo: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const [tenantId, ids] of addedTo) {
    if (new Set(ids).size !== ids.length) continue;
    for (const id of ids) wanted.set(id, tenantId);
  }
  return wanted;
}

/**
 * The entries each tenant's add-only changes added, from the rows read by id in creation order
 * (as the whole list is ordered, so that appending them gives the list a full read would). A tenant
 * is left out — and read whole by the caller — unless every id is there, its own, enabled and
 * without expiry: a row that is not (removed by a later change would have ended the tenant's
 * add-only run; an expiry needs the whole list kept for the expiry queue) means the change does not
 * say what the list is.
 */
export function checkedAdditions(
  addedTo: ReadonlyMap<string, readonly string[]>,
  rows: readonly AddedEntryRow[],
): Map<string, RuleEntry[]> {
  const out = new Map<string, RuleEntry[]>();
  const wanted = new Map<string, string>();
  for (const [tenantId, ids] of addedTo) {
    if (new Set(ids).size !== ids.length) continue; // an id added twice: not an add-only run
    out.set(tenantId, []);
    for (const id of ids) wanted.set(id, tenantId);
  }
  const unsure = new Set<string>();
  for (const row of rows) {
    const tenantId = wanted.get(row.id);
    if (tenantId === undefined) continue;
    wanted.delete(row.id);
    if (row.tenant_id !== tenantId || !toBool(row.enabled) || row.expires_at !== null) {
      unsure.add(tenantId);
      continue;
    }
    out.get(tenantId)?.push(ruleEntry(row));
  }
  for (const tenantId of wanted.values()) unsure.add(tenantId); // a row that is gone
  for (const tenantId of unsure) out.delete(tenantId);
  return out;
}

/**
 * A rule entry from its row.
 *
 * @example
 * ruleEntry({ id: 'ent_1', name: 'office', type: 'ip', value: '203.0.113.7', expires_at: null });
 */
export function ruleEntry(r: EntryRow): RuleEntry {
  // The type as a literal: the driver gives every row its own copy of the text, a million of them at scale.
  return {
    id: r.id,
    name: r.name,
    type: r.type === 'ip' ? 'ip' : 'range',
    value: r.value,
    expiresAt: toDateOrNull(r.expires_at),
  };
}
