/**
 * A draft of a list: a whole replacement, or additions, removals and edits of the list as it is.
 * `applyDraft` turns the current entries and a draft into the list the draft describes, checking
 * every value with core's parsers, so a bad draft fails with the field that is wrong before any
 * traffic is read.
 */
import { IpGateError, isIpGateError, parseDomainRule, parseEntry } from '@ipgate/core';

/** An entry of a draft, or of a list as it is. Key lists have no `enabled` nor `expiresAt`. */
export interface DraftEntryInput {
  readonly value: string;
  readonly name?: string | undefined;
  readonly enabled?: boolean | undefined;
  readonly expiresAt?: Date | null | undefined;
}

/** An edit of an entry of the current list, by id. */
export interface DraftEdit extends Partial<DraftEntryInput> {
  readonly id: string;
}

/** What a simulation is asked about. */
export type ListDraft =
  | { readonly replace: readonly DraftEntryInput[] }
  | {
      readonly add?: readonly DraftEntryInput[] | undefined;
      readonly remove?: readonly string[] | undefined;
      readonly edit?: readonly DraftEdit[] | undefined;
    };

/** An entry of the list a draft describes; `id` null for an entry the draft adds. */
export interface DraftEntry {
  readonly id: string | null;
  readonly value: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly expiresAt: Date | null;
}

/** An entry of the list as it is. */
export interface CurrentEntry {
  readonly id: string;
  readonly value: string;
  readonly name: string;
  readonly enabled?: boolean | undefined;
  readonly expiresAt?: Date | null | undefined;
}

/**
 * The list `draft` describes, from `current`. Values are checked as IP entries (`ip`) or domain
 * rules (`domain`); a bad one, or an id that is not on the list, throws with the field
 * (`draft.add[2].value`, `draft.remove[0]`).
 *
 * @example
 * applyDraft([{ id: 'ent_1', value: '203.0.113.0/24', name: 'office' }], { remove: ['ent_1'], add: [{ value: '198.51.100.7' }] }, 'ip');
 * // [{ id: null, value: '198.51.100.7', name: '', enabled: true, expiresAt: null }]
 */
export function applyDraft(
  current: readonly CurrentEntry[],
  draft: ListDraft,
  kind: 'ip' | 'domain',
): DraftEntry[] {
  if ('replace' in draft) {
    return draft.replace.map((e, i) => entry(null, e, kind, `draft.replace[${i}]`));
  }
  const byId = new Map(current.map((e) => [e.id, e]));
  const removed = new Set<string>();
  (draft.remove ?? []).forEach((id, i) => {
    if (!byId.has(id)) throw missing(id, `draft.remove[${i}]`);
    removed.add(id);
  });
  const edits = new Map<string, DraftEdit>();
  (draft.edit ?? []).forEach((e, i) => {
    if (!byId.has(e.id) || removed.has(e.id)) throw missing(e.id, `draft.edit[${i}].id`);
    edits.set(e.id, e);
  });
  const out: DraftEntry[] = [];
  for (const e of current) {
    if (removed.has(e.id)) continue;
    const edit = edits.get(e.id);
    if (edit === undefined) {
      out.push(normalise(e));
      continue;
    }
    const i = (draft.edit ?? []).indexOf(edit);
    out.push(entry(e.id, { ...normalise(e), ...definedOf(edit) }, kind, `draft.edit[${i}]`));
  }
  (draft.add ?? []).forEach((e, i) => {
    out.push(entry(null, e, kind, `draft.add[${i}]`));
  });
  return out;
}

function normalise(e: CurrentEntry): DraftEntry {
  return {
    id: e.id,
    value: e.value,
    name: e.name,
    enabled: e.enabled ?? true,
    expiresAt: e.expiresAt ?? null,
  };
}

function entry(id: string | null, e: DraftEntryInput, kind: 'ip' | 'domain', field: string): DraftEntry {
  try {
    if (kind === 'ip') parseEntry(e.value);
    else parseDomainRule(e.value);
  } catch (error) {
    throw isIpGateError(error) ? error.withContext({ field: `${field}.value` }) : error;
  }
  return {
    id,
    value: e.value,
    name: e.name ?? '',
    enabled: e.enabled ?? true,
    expiresAt: e.expiresAt ?? null,
  };
}

function definedOf(edit: DraftEdit): Partial<DraftEntryInput> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(edit)) if (k !== 'id' && v !== undefined) out[k] = v;
  return out as Partial<DraftEntryInput>;
}

function missing(id: string, field: string): IpGateError {
  return new IpGateError('IPG_NOT_FOUND', `The list has no entry ${JSON.stringify(id)}.`, {
    field,
    hint: 'Name an entry of the list as it is now (GET the list for the ids).',
  });
}
