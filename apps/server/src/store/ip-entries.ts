/**
 * The entries of the two network lists with state and provenance, a tenant's IP list
 * (tenant-ip-list.ts) and an API's allowlist (apis.ts): their columns, how input is checked into
 * them, and how a row reads back. The list operations are owned-entries.ts.
 */
import type { Entry } from '@ipgate/core';
import type { Selectable } from 'kysely';
import type { IpListEntryColumns } from './database.js';
import type { EntryColumns, EntryPatch, OwnedEntryList } from './owned-entries.js';
import { flag, toBool, toDate, toDateOrNull } from './rows.js';
import type { AddIpEntryInput, EntrySource, IpListEntry, UpdateIpEntryInput } from './store.js';
import * as v from './validate.js';
import { ENTRY_SOURCES } from './vocabulary.js';

/**
 * A network list: owned by one id (a tenant's or an API's), its entries `E` an `IpListEntry` with
 * their owner's id.
 *
 * @example
 * const list: IpListSpec<TenantIpEntry> = tenantIpList;
 */
export type IpListSpec<E extends IpListEntry> = OwnedEntryList<
  string,
  E,
  AddIpEntryInput,
  UpdateIpEntryInput
>;

/**
 * A stored row of either network list as the public entity (without its owner id).
 *
 * @example
 * ipListEntryFromRow(row).enabled; // true
 */
export function ipListEntryFromRow(row: Selectable<IpListEntryColumns>): IpListEntry {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    value: row.value,
    canonical: row.canonical,
    enabled: toBool(row.enabled),
    expiresAt: toDateOrNull(row.expires_at),
    source: row.source,
    reason: row.reason,
    createdBy: row.created_by,
    version: row.version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * The columns of a new entry, checked already.
 *
 * @example
 * const fields: NewIpEntry = { name: '', entry: v.ipEntry('10.0.0.1'), value: '10.0.0.1', enabled: true, expiresAt: null, source: 'review', reason: null, createdBy: actor };
 */
export interface NewIpEntry {
  readonly name: string;
  readonly entry: Entry;
  /** As the user wrote it, trimmed. */
  readonly value: string;
  readonly enabled: boolean;
  readonly expiresAt: Date | null;
  readonly source: EntrySource;
  readonly reason: string | null;
  readonly createdBy: string;
}

/**
 * A checked new entry as the columns owned-entries.ts writes.
 *
 * @example
 * await insertEntry(trx, tenantIpList, tenantId, limit, now, ipEntryColumns(fields));
 */
export function ipEntryColumns(fields: NewIpEntry): EntryColumns {
  return {
    canonical: fields.entry.canonical,
    columns: {
      name: fields.name,
      type: fields.entry.type,
      value: fields.value,
      enabled: flag(fields.enabled),
      expires_at: fields.expiresAt === null ? null : fields.expiresAt.toISOString(),
      source: fields.source,
      reason: fields.reason,
      created_by: fields.createdBy,
    },
  };
}

/**
 * Checks an add's input: the value parsed by core, defaults for what it leaves out.
 *
 * @example
 * checkIpEntryAdd({ value: '10.0.0.0/8', name: 'office' }, 'user:ops').canonical; // '10.0.0.0/8'
 */
export function checkIpEntryAdd(input: AddIpEntryInput, actor: string): EntryColumns {
  const entry = v.ipEntry(input.value);
  const name = input.name === undefined ? '' : v.text(input.name, 'name', { allowEmpty: true });
  const enabled = input.enabled === undefined ? true : v.bool(input.enabled, 'enabled');
  const expiresAt = input.expiresAt === undefined ? null : v.dateOrNull(input.expiresAt, 'expiresAt');
  const source = input.source === undefined ? 'manual' : v.oneOf(input.source, 'source', ENTRY_SOURCES);
  const reason =
    input.reason === undefined || input.reason === null
      ? null
      : v.text(input.reason, 'reason', { allowEmpty: true });
  return ipEntryColumns({
    name,
    entry,
    value: input.value.trim(),
    enabled,
    expiresAt,
    source,
    reason,
    createdBy: actor,
  });
}

/**
 * Checks an edit: name, value, enabled and expiry may change.
 *
 * @example
 * checkIpEntryPatch({ enabled: false }).columns; // { enabled: 0 } on SQLite
 */
export function checkIpEntryPatch(patch: UpdateIpEntryInput): EntryPatch {
  const entry = patch.value === undefined ? undefined : v.ipEntry(patch.value);
  return {
    canonical: entry?.canonical,
    columns: {
      ...(patch.name === undefined ? {} : { name: v.text(patch.name, 'name', { allowEmpty: true }) }),
      ...(entry === undefined || patch.value === undefined
        ? {}
        : { value: patch.value.trim(), canonical: entry.canonical, type: entry.type }),
      ...(patch.enabled === undefined ? {} : { enabled: flag(v.bool(patch.enabled, 'enabled')) }),
      ...(patch.expiresAt === undefined
        ? {}
        : { expires_at: v.dateOrNull(patch.expiresAt, 'expiresAt')?.toISOString() ?? null }),
    },
  };
}

/**
 * The parts of a network list that come from its entries rather than its owner.
 *
 * @example
 * export const apiAllowlist: IpListSpec<ApiAllowlistEntry> = { ...ipEntryShape, table: 'api_allowlist_entries', … };
 */
export const ipEntryShape = {
  idPrefix: 'ent',
  checkAdd: checkIpEntryAdd,
  checkPatch: checkIpEntryPatch,
} as const;
