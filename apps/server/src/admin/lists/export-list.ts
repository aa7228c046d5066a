/**
 * A network list as a file, in either import format, so that export → import (replace) → export gives
 * the same bytes, into the same list or any other.
 *
 * Entries are written in address order (IPv4 before IPv6, then by first address, wider first), not
 * in the order they were added: the list an import leaves keeps its older entries where they were, so
 * only an order that depends on the entries alone can read back the same — and two exports of lists
 * that hold the same entries compare line by line.
 *
 * CSV holds every property an import can write (value as written, name, expiry, enabled). The text
 * format holds the value and the name only, as the allow files of `ipgate check` and the middlewares
 * do; importing it leaves the expiry and the switch of entries already listed as they are.
 */
import { formatAllowList, formatEntryCsv, parseEntry } from '@ipgate/core';
import type { IpListEntry } from '../../store/store.js';
import type { ListFormat } from './import-file.js';

/**
 * The file of `entries` in `format`. A name the text format cannot hold is IPG_EXPORT_TEXT_UNSAFE.
 *
 * @example
 * exportList(entries, 'csv'); // 'value,name,expiresAt,enabled\n10.0.0.0/8,vpn,,true\n'
 */
export function exportList(
  entries: readonly Pick<IpListEntry, 'value' | 'canonical' | 'name' | 'expiresAt' | 'enabled'>[],
  format: ListFormat,
): string {
  const sorted = inAddressOrder(entries);
  return format === 'csv'
    ? formatEntryCsv(sorted)
    : formatAllowList(sorted.map((e) => ({ value: e.value, name: e.name })));
}

/**
 * The entries by first address (IPv4 first), then last address descending (a wider entry before the ones
 * it covers), then canonical form (two spellings of one range).
 *
 * @example
 * inAddressOrder([{ canonical: '10.1.0.0/16' }, { canonical: '10.0.0.0/8' }]); // 10.0.0.0/8 first
 */
export function inAddressOrder<E extends { readonly canonical: string }>(entries: readonly E[]): E[] {
  const keyed = entries.map((e) => ({ e, parsed: parseEntry(e.canonical) }));
  keyed.sort(
    (a, b) =>
      a.parsed.first.compare(b.parsed.first) ||
      b.parsed.last.compare(a.parsed.last) ||
      (a.e.canonical < b.e.canonical ? -1 : a.e.canonical > b.e.canonical ? 1 : 0),
  );
  return keyed.map((k) => k.e);
}
