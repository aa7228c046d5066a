import { IpAddress } from '../address/ip-address.js';
import type { IpGateError } from '../errors/ip-gate-error.js';
import { cidrCover } from './cidr-cover.js';
import type { Entry, EntryType, EntryWarning } from './entry.js';
import { createEntryBounds, type EntryBounds, scanEntry } from './scan-entry.js';
import { specialRangesOverlapping } from './special-ranges.js';

export interface ParseEntryOptions {
  /** Require a single address (`ip`) or a range form (`range`). Any form is accepted when absent. */
  readonly type?: EntryType | undefined;
}

const MAPPED_FIRST = 0xffff00000000n;
const MAPPED_LAST = 0xffffffffffffn;

const bounds = createEntryBounds();

/**
 * Parses one allowlist entry in any form (docs/architecture/entries.md#forms), or throws an `IpGateError`
 * that says what is wrong and how to write it right.
 *
 * Warnings here are about the entry alone; see `analyzeEntries` for warnings about a list.
 *
 * @example
 * parseEntry('192.168.0.0/255.255.255.0').canonical; // '192.168.0.0/24'
 * parseEntry('192.168.10.10-20').canonical; // '192.168.10.10-192.168.10.20'
 * parseEntry('10.0.0.1/8'); // throws IPG_ENTRY_HOST_BITS, hint names 10.0.0.0/8 and 10.0.0.1/32
 */
export function parseEntry(text: string, options: ParseEntryOptions = {}): Entry {
  const result = tryParseEntry(text, options);
  if (!result.ok) throw result.error;
  return result.entry;
}

/**
 * Like {@link parseEntry}, but returns the error instead of throwing it.
 *
 * @example
 * const r = tryParseEntry('10.0.0.0/08');
 * if (!r.ok) console.log(r.error.code); // 'IPG_ENTRY_PREFIX_INVALID'
 */
export function tryParseEntry(
  text: string,
  options: ParseEntryOptions = {},
): { ok: true; entry: Entry } | { ok: false; error: IpGateError } {
  const error = scanEntry(text, bounds, options.type);
  if (error !== undefined) return { ok: false, error };
  return { ok: true, entry: entryFromBounds(text, bounds) };
}

/** Builds the full entry from scanned bounds. */
export function entryFromBounds(input: string, b: EntryBounds): Entry {
  const first = IpAddress.fromWords(
    b.family,
    b.first[0] as number,
    b.first[1] as number,
    b.first[2] as number,
    b.first[3] as number,
  );
  const last = IpAddress.fromWords(
    b.family,
    b.last[0] as number,
    b.last[1] as number,
    b.last[2] as number,
    b.last[3] as number,
  );
  const canonical =
    b.form === 'address'
      ? first.toString()
      : b.prefix >= 0
        ? `${first.toString()}/${b.prefix}`
        : `${first.toString()}-${last.toString()}`;
  const lo = first.toBigInt();
  const hi = last.toBigInt();
  return {
    input: input,
    type: b.form === 'address' ? 'ip' : 'range',
    form: b.form,
    canonical,
    family: b.family,
    first,
    last,
    prefixLength: b.prefix >= 0 ? b.prefix : undefined,
    cidrs:
      b.form === 'address'
        ? [`${canonical}/${b.family === 4 ? 32 : 128}`]
        : b.prefix >= 0
          ? [canonical]
          : cidrCover(b.family, lo, hi),
    warnings: entryWarnings(b.family, lo, hi),
  };
}

function entryWarnings(family: 4 | 6, lo: bigint, hi: bigint): EntryWarning[] {
  const max = family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  if (lo === 0n && hi === max) {
    return [
      {
        code: 'IPG_WARN_COVERS_ALL',
        message: `This entry lets every IPv${family} address through; the restriction then does nothing for IPv${family}.`,
      },
    ];
  }
  const mapped: EntryWarning[] = [];
  if (family === 6 && MAPPED_FIRST <= lo && hi <= MAPPED_LAST) {
    // ::ffff:1.2.3.4 is how a dual-stack socket shows the IPv4 caller 1.2.3.4: the set matches it as IPv4.
    const v4 = (n: bigint) => IpAddress.fromIPv4Number(Number(n - MAPPED_FIRST)).toString();
    const same = lo === hi ? v4(lo) : `${v4(lo)}-${v4(hi)}`;
    mapped.push({
      code: 'IPG_WARN_IPV4_MAPPED',
      message: `This IPv6 entry is IPv4-mapped: it stands for the IPv4 ${lo === hi ? 'address' : 'addresses'} ${same} and matches IPv4 callers as ${same}. Write ${same} to say so.`,
    });
  }
  const special = specialRangesOverlapping(family, lo, hi);
  if (family === 6 && lo <= MAPPED_LAST && MAPPED_FIRST <= hi) {
    // An IPv4-mapped entry matches IPv4 callers, so judge its IPv4 part as IPv4.
    const v4lo = (lo > MAPPED_FIRST ? lo : MAPPED_FIRST) - MAPPED_FIRST;
    const v4hi = (hi < MAPPED_LAST ? hi : MAPPED_LAST) - MAPPED_FIRST;
    special.push(...specialRangesOverlapping(4, v4lo, v4hi));
  }
  if (special.length === 0) return mapped;
  const named = special.map((r) => `${r.purpose} ${r.cidr}`).join(', ');
  return [
    ...mapped,
    {
      code: 'IPG_WARN_NON_PUBLIC',
      message: `This entry includes non-public space (${named}). Callers reach a public API from public addresses; list your public static IPs.`,
    },
  ];
}
