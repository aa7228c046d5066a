import type { IpAddress, IpFamily } from '../address/ip-address.js';
import type { WarningCode } from '../errors/catalogue.js';

/** `ip` is one address; `range` is every other form (CIDR, netmask, partial CIDR, dash or short range). */
export type EntryType = 'ip' | 'range';

/** How the entry was written; decides the canonical form. */
export type EntryForm = 'address' | 'cidr' | 'netmask' | 'partial-cidr' | 'dash-range' | 'short-range';

/** A note on an accepted entry. Warnings never stop a write; they tell the person what they wrote means. */
export interface EntryWarning {
  readonly code: WarningCode;
  readonly message: string;
  /** The other entry, for warnings about a list (duplicate, covered by, overlaps). */
  readonly related?: { readonly index: number; readonly name?: string; readonly canonical: string };
}

/**
 * A parsed allowlist entry.
 *
 * @example
 * const e = parseEntry('192.168.0/16');
 * e.canonical; // '192.168.0.0/16'
 * e.first.toString(); // '192.168.0.0'
 * e.last.toString(); // '192.168.255.255'
 */
export interface Entry {
  /** The text as the user wrote it. */
  readonly input: string;
  readonly type: EntryType;
  readonly form: EntryForm;
  /** The one spelling ipgate stores and compares (docs/architecture/entries.md#forms). */
  readonly canonical: string;
  readonly family: IpFamily;
  readonly first: IpAddress;
  readonly last: IpAddress;
  /** The prefix length for CIDR-like forms (`cidr`, `netmask`, `partial-cidr`), else undefined. */
  readonly prefixLength: number | undefined;
  /** The fewest CIDR blocks that cover exactly first..last. */
  readonly cidrs: readonly string[];
  readonly warnings: readonly EntryWarning[];
}

/** An entry as lists hold it: the value as written plus the name people know it by. */
export interface EntryInput {
  readonly value: string;
  readonly name?: string | undefined;
  readonly id?: string | undefined;
  readonly type?: EntryType | undefined;
}
