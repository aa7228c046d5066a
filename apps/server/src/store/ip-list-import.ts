/**
 * Importing many entries into a network list as one change: one transaction, one audit event with
 * the counts, one `changes` row (so every node applies the whole import at once, never half of it).
 */
import { IpGateError } from '@ipgate/core';
import type { Selectable } from 'kysely';
import type { StoreContext } from './context.js';
import type { IpListEntryColumns } from './database.js';
import { invalid } from './errors.js';
import { newId } from './ids.js';
import { IMPORT_MODES, type ImportRow, listBasis, MAX_IMPORT_ENTRIES, planImport } from './import-plan.js';
import type { IpListSpec } from './ip-entries.js';
import type { Untyped } from './owned-entries.js';
import { recordChange } from './record.js';
import { flag, nowIso } from './rows.js';
import type { ImportEntriesInput, ImportEntriesResult, IpListEntry } from './store.js';
import * as v from './validate.js';

type Row = Selectable<IpListEntryColumns>;

/** Rows per INSERT: well under SQLite's bound-parameter limit with 14 columns. */
const INSERT_CHUNK = 200;

/**
 * Applies an import: checks every row, locks the owner, compares the list with `expectedBasis`
 * (IPG_VERSION_CONFLICT when it changed), refuses a result over the list's limit (IPG_LIMIT_REACHED
 * saying by how many), then removes, edits and adds — added entries in the file's order.
 *
 * @example
 * await importIpEntries(ctx, tenantIpList, tenantId, { mode: 'merge', rows: [{ value: '10.0.0.0/8', name: 'vpn' }] }, { actor });
 */
export async function importIpEntries<E extends IpListEntry>(
  ctx: StoreContext,
  spec: IpListSpec<E>,
  ownerId: string,
  input: ImportEntriesInput,
  options: { readonly actor: string; readonly expectedBasis?: string | undefined },
): Promise<ImportEntriesResult<E>> {
  const actor = v.actor(options.actor);
  const mode = v.oneOf(input.mode, 'mode', IMPORT_MODES);
  const rows = checkRows(input.rows);
  return ctx.dialect.transaction(async (trx) => {
    const { limit } = await spec.lockOwner(ctx, trx, ownerId);
    const t = trx as unknown as Untyped;
    const current = (
      (await t
        .selectFrom(spec.table)
        .selectAll()
        .where(spec.ownerColumn, '=', ownerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()) as Row[]
    ).map((r) => spec.fromRow(r, ownerId));
    if (options.expectedBasis !== undefined && listBasis(current) !== options.expectedBasis) {
      throw listChanged(spec.listNoun);
    }
    const plan = planImport(current, rows, mode);
    if (limit !== undefined && plan.count > limit && plan.count > current.length) {
      throw importOverLimit(spec.listNoun, limit, plan.count);
    }
    const now = nowIso();
    const removedIds = plan.remove.map((e) => e.id);
    for (let i = 0; i < removedIds.length; i += INSERT_CHUNK) {
      await t
        .deleteFrom(spec.table)
        .where('id', 'in', removedIds.slice(i, i + INSERT_CHUNK))
        .execute();
    }
    const updated: E[] = [];
    for (const { before, patch } of plan.update) {
      const entry = patch.value === undefined ? undefined : v.ipEntry(patch.value);
      const row = (await t
        .updateTable(spec.table)
        .set({
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(entry === undefined
            ? {}
            : { value: patch.value, canonical: entry.canonical, type: entry.type }),
          ...(patch.enabled === undefined ? {} : { enabled: flag(patch.enabled) }),
          ...(patch.expiresAt === undefined ? {} : { expires_at: patch.expiresAt?.toISOString() ?? null }),
          version: before.version + 1,
          updated_at: now,
        })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow()) as Row;
      updated.push(spec.fromRow(row, ownerId));
    }
    const added: E[] = [];
    // Ids made in order sort in order, so the list keeps the file's order for what it adds.
    const values = plan.add.map((r) => {
      const entry = v.ipEntry(r.value);
      return {
        id: newId(spec.idPrefix),
        [spec.ownerColumn]: ownerId,
        name: r.name ?? '',
        type: entry.type,
        value: r.value,
        canonical: entry.canonical,
        enabled: flag(r.enabled ?? true),
        expires_at: r.expiresAt == null ? null : r.expiresAt.toISOString(),
        source: 'manual',
        reason: null,
        created_by: actor,
        version: 1,
        created_at: now,
        updated_at: now,
      };
    });
    for (let i = 0; i < values.length; i += INSERT_CHUNK) {
      const inserted = (await t
        .insertInto(spec.table)
        .values(values.slice(i, i + INSERT_CHUNK))
        .returningAll()
        .execute()) as Row[];
      const byId = new Map(inserted.map((r) => [r.id, r]));
      for (const value of values.slice(i, i + INSERT_CHUNK)) {
        added.push(spec.fromRow(byId.get(value.id) as Row, ownerId));
      }
    }
    for (const entry of [...updated, ...added]) await spec.afterWrite?.(ctx, trx, ownerId, entry, now);
    const counts = {
      added: added.length,
      updated: updated.length,
      removed: plan.remove.length,
      unchanged: plan.unchanged.length,
    };
    const after = await t
      .selectFrom(spec.table)
      .select(['id', 'version'])
      .where(spec.ownerColumn, '=', ownerId)
      .execute();
    const changed = counts.added + counts.updated + counts.removed > 0;
    // An import that changes nothing writes nothing: no audit event, no change for nodes to follow.
    const changeVersion = changed
      ? await recordChange(ctx, trx, now, {
          actor,
          action: `${spec.action}.imported`,
          ...spec.scope(ownerId),
          targetType: spec.ownerColumn === 'tenant_id' ? 'tenant' : 'api',
          targetId: ownerId,
          before: { entries: [...plan.update.map((u) => u.before), ...plan.remove] },
          after: { mode, ...counts, count: plan.count, entries: [...updated, ...added] },
        })
      : null;
    return {
      mode,
      ...counts,
      count: plan.count,
      added,
      updatedEntries: updated,
      removedEntries: plan.remove,
      changeVersion,
      basis: listBasis(after as { id: string; version: number }[]),
    };
  });
}

/** Every row checked as a single write checks it; no two rows with one canonical form. */
function checkRows(rows: ImportEntriesInput['rows']): ImportRow[] {
  if (!Array.isArray(rows)) throw invalid('rows', 'rows must be a list of entries.');
  if (rows.length > MAX_IMPORT_ENTRIES) throw tooMany(rows.length);
  const seen = new Map<string, number>();
  return rows.map((r, i) => {
    const field = `rows[${i}]`;
    const line = r.line ?? i + 1;
    let canonical: string;
    try {
      canonical = v.ipEntry(r.value).canonical;
    } catch (e) {
      throw e instanceof IpGateError ? e.withContext({ field: `${field}.value` }) : e;
    }
    const first = seen.get(canonical);
    if (first !== undefined) throw duplicateLine(canonical, first, line, `${field}.value`);
    seen.set(canonical, line);
    return {
      value: r.value.trim(),
      canonical,
      line,
      ...(r.name === undefined ? {} : { name: v.text(r.name, `${field}.name`, { allowEmpty: true }) }),
      ...(r.enabled === undefined ? {} : { enabled: v.bool(r.enabled, `${field}.enabled`) }),
      ...(r.expiresAt === undefined ? {} : { expiresAt: v.dateOrNull(r.expiresAt, `${field}.expiresAt`) }),
    };
  });
}

/**
 * IPG_IMPORT_TOO_LARGE: more entries than one import takes.
 *
 * @example
 * throw tooMany(1_500);
 */
export function tooMany(count: number): IpGateError {
  return new IpGateError(
    'IPG_IMPORT_TOO_LARGE',
    `The file holds ${count} entries; one import takes at most ${MAX_IMPORT_ENTRIES}.`,
    {
      hint: `Split it into files of at most ${MAX_IMPORT_ENTRIES} entries and import them one after the other in merge mode.`,
      field: 'content',
    },
  );
}

/**
 * IPG_IMPORT_DUPLICATE: two lines of one file name the same addresses.
 *
 * @example
 * throw duplicateLine('10.0.0.0/8', 2, 7, 'content');
 */
export function duplicateLine(canonical: string, first: number, line: number, field: string): IpGateError {
  return new IpGateError('IPG_IMPORT_DUPLICATE', `line ${line}: ${canonical} is on line ${first} already.`, {
    hint: 'Keep one line per entry: remove or merge the repeated one.',
    field,
    input: canonical,
  });
}

/**
 * IPG_LIMIT_REACHED for an import, naming the limit and how far over it the list would be.
 *
 * @example
 * throw importOverLimit('tenant IP list', 100, 130);
 */
export function importOverLimit(list: string, limit: number, count: number): IpGateError {
  return new IpGateError(
    'IPG_LIMIT_REACHED',
    `The import would leave the ${list} with ${count} entries, ${count - limit} over its limit of ${limit}.`,
    {
      hint: 'Import fewer entries, use mode replace to drop the ones the file does not name, or ask for a higher limit.',
      field: 'content',
    },
  );
}

/**
 * IPG_VERSION_CONFLICT for an import made against a state of the list that is gone.
 *
 * @example
 * throw listChanged('tenant IP list');
 */
export function listChanged(list: string): IpGateError {
  return new IpGateError(
    'IPG_VERSION_CONFLICT',
    `The ${list} changed since the basis the import names was read: someone edited it meanwhile.`,
    { hint: 'Preview (or export) again, check the changes, and import with the new basis.', field: 'basis' },
  );
}
