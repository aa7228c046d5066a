import { explainAddressError } from '../address/explain-address-error.js';
import { formatIPv4, scanIPv4 } from '../address/ipv4.js';
import { formatIPv6, scanIPv6 } from '../address/ipv6.js';
import { IpGateError } from '../errors/ip-gate-error.js';
import type { EntryForm, EntryType } from './entry.js';

/**
 * The bounds of one entry, as the scanner leaves them: family, form and first/last address as four
 * big-endian words each (an IPv4 address only in word 3).
 *
 * Bulk compilation reuses one of these for every entry, so a million entries allocate nothing each.
 */
export interface EntryBounds {
  family: 4 | 6;
  form: EntryForm;
  /** Prefix length for CIDR-like forms, else -1. */
  prefix: number;
  readonly first: Uint32Array;
  readonly last: Uint32Array;
}

/** A fresh bounds holder. */
export function createEntryBounds(): EntryBounds {
  return { family: 4, form: 'address', prefix: -1, first: new Uint32Array(4), last: new Uint32Array(4) };
}

const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;
const OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const SPACE = /\s/;
const SPACE_BY_SLASH = /\s\/|\/\s/;
const LIST_SEPARATOR = /[,;]/;

/**
 * Scans one entry (any form of docs/architecture/entries.md#forms) into `out`.
 *
 * @returns undefined on success, else the error that says what is wrong and how to write it.
 * @example
 * const b = createEntryBounds();
 * scanEntry('10.0.0.0/8', b); // undefined; b.prefix === 8
 */
export function scanEntry(text: string, out: EntryBounds, type?: EntryType): IpGateError | undefined {
  if (scanPlainIPv4(text, out)) return type === undefined ? undefined : checkType(text, type, out);
  return scanEntryGeneral(text, out, type);
}

/**
 * The fast path for what big lists are made of: `a.b.c.d` or `a.b.c.d/len`, exactly, with no host bits.
 * It accepts a strict subset of what {@link scanEntryGeneral} accepts, with the same result (a property
 * test holds them to that), and allocates nothing; anything else, errors included, goes the general way.
 */
export function scanPlainIPv4(text: string, out: EntryBounds): boolean {
  const end = text.length;
  const slash = text.indexOf('/');
  if (slash < 0) {
    const v4 = scanIPv4(text, 0, end);
    if (v4 < 0) return false;
    out.family = 4;
    out.form = 'address';
    out.prefix = -1;
    setV4(out.first, v4);
    setV4(out.last, v4);
    return true;
  }
  const v4 = scanIPv4(text, 0, slash);
  if (v4 < 0) return false;
  const digits = end - slash - 1;
  if (digits < 1 || digits > 2) return false;
  const d0 = text.charCodeAt(slash + 1) - 48;
  if (d0 < 0 || d0 > 9) return false;
  let prefix = d0;
  if (digits === 2) {
    const d1 = text.charCodeAt(slash + 2) - 48;
    if (d0 === 0 || d1 < 0 || d1 > 9) return false;
    prefix = d0 * 10 + d1;
  }
  if (prefix > 32) return false;
  const hostMask = prefix === 0 ? 0xffffffff : prefix === 32 ? 0 : 0xffffffff >>> prefix;
  if ((v4 & hostMask) !== 0) return false;
  out.family = 4;
  out.form = 'cidr';
  out.prefix = prefix;
  setV4(out.first, v4);
  setV4(out.last, (v4 | hostMask) >>> 0);
  return true;
}

/**
 * Scans any entry form; see {@link scanEntry}.
 */
export function scanEntryGeneral(text: string, out: EntryBounds, type?: EntryType): IpGateError | undefined {
  const t = text.trim();
  if (t === '') {
    return new IpGateError('IPG_ENTRY_EMPTY', 'The entry is empty.', {
      hint: 'Write an address (192.0.2.10), a CIDR (192.0.2.0/24) or a range (192.0.2.10-192.0.2.20).',
      input: text,
    });
  }
  if (LIST_SEPARATOR.test(t)) return listError(text);
  const dash = t.indexOf('-');
  const slash = t.indexOf('/');
  let error: IpGateError | undefined;
  if (dash >= 0) {
    if (slash >= 0) {
      return new IpGateError(
        'IPG_ENTRY_INVALID',
        `${JSON.stringify(text)} mixes a range and a prefix length.`,
        {
          hint: 'Write either a CIDR like 192.0.2.0/24 or a range like 192.0.2.10-192.0.2.20.',
          input: text,
        },
      );
    }
    error = scanRange(text, t, dash, out);
  } else if (slash >= 0) {
    // White space beside the "/" is one CIDR written loosely; anywhere else it separates several entries.
    if (SPACE.test(t) && !SPACE_BY_SLASH.test(t)) return listError(text);
    error = scanPrefixed(text, t, slash, out);
  } else {
    if (SPACE.test(t)) return listError(text);
    error = scanSingle(t, out, text);
    out.form = 'address';
    out.prefix = -1;
  }
  if (error !== undefined) return error;
  if (type !== undefined) return checkType(text, type, out);
  return undefined;
}

function listError(text: string): IpGateError {
  return new IpGateError('IPG_ENTRY_LIST', `${JSON.stringify(text)} holds more than one entry.`, {
    hint: 'Add each address or range as its own entry (one per line in a file).',
    input: text,
  });
}

/** Fills first = last = the address. */
function scanSingle(addressText: string, out: EntryBounds, entryText: string): IpGateError | undefined {
  const v4 = scanIPv4(addressText, 0, addressText.length);
  if (v4 >= 0) {
    out.family = 4;
    setV4(out.first, v4);
    setV4(out.last, v4);
    return undefined;
  }
  if (!scanIPv6(addressText, 0, addressText.length, out.first)) {
    return rewrap(explainAddressError(addressText), entryText);
  }
  out.family = 6;
  out.last.set(out.first);
  return undefined;
}

function setV4(words: Uint32Array, value: number): void {
  words[0] = 0;
  words[1] = 0;
  words[2] = 0;
  words[3] = value;
}

function rewrap(e: IpGateError, entryText: string): IpGateError {
  return new IpGateError(e.code, e.message, {
    ...(e.hint === undefined ? {} : { hint: e.hint }),
    input: entryText,
  });
}

function scanRange(text: string, t: string, dash: number, out: EntryBounds): IpGateError | undefined {
  if (t.indexOf('-', dash + 1) >= 0) {
    return new IpGateError('IPG_ENTRY_INVALID', `${JSON.stringify(text)} has more than one "-".`, {
      hint: 'A range is two addresses joined by one dash: 192.0.2.10-192.0.2.20.',
      input: text,
    });
  }
  const left = t.slice(0, dash).trimEnd();
  const right = t.slice(dash + 1).trimStart();
  if (left === '' || right === '') {
    return new IpGateError(
      'IPG_ENTRY_INVALID',
      `${JSON.stringify(text)} is a range without a ${left === '' ? 'start' : 'end'}.`,
      {
        hint: 'A range names both ends: 192.0.2.10-192.0.2.20, or 192.0.2.10-20 for the last part only.',
        input: text,
      },
    );
  }
  if (SPACE.test(left) || SPACE.test(right)) return listError(text);
  const startError = scanSingle(left, out, text);
  if (startError !== undefined) return startError;
  const family = out.family;
  const first0 = out.first[0] as number;
  const first1 = out.first[1] as number;
  const first2 = out.first[2] as number;
  const first3 = out.first[3] as number;
  if (family === 4 && !right.includes('.') && !right.includes(':')) {
    if (!OCTET.test(right) || Number(right) > 255) {
      return new IpGateError(
        'IPG_ENTRY_INVALID',
        `${JSON.stringify(text)}: the short range end ${JSON.stringify(right)} is not a number from 0 to 255 without leading zeros.`,
        {
          hint: `Write the end as the last part only (${left}-${Math.min(255, Number.parseInt(right, 10) || 255)}) or as a full address.`,
          input: text,
        },
      );
    }
    const base = first3 - (first3 & 255);
    setV4(out.last, base + Number(right));
    out.form = 'short-range';
  } else {
    const endError = scanSingle(right, out, text);
    if (endError !== undefined) return endError;
    if (out.family !== family) {
      return new IpGateError(
        'IPG_ENTRY_RANGE_MIXED_FAMILY',
        `${JSON.stringify(text)} starts in IPv${family} and ends in IPv${out.family}.`,
        {
          hint: 'Both ends of a range are IPv4, or both are IPv6; add one entry per family.',
          input: text,
        },
      );
    }
    out.last.set(out.first);
    out.form = 'dash-range';
  }
  out.first[0] = first0;
  out.first[1] = first1;
  out.first[2] = first2;
  out.first[3] = first3;
  out.family = family;
  out.prefix = -1;
  if (compareWords(out.first, out.last) > 0) {
    return new IpGateError('IPG_ENTRY_RANGE_REVERSED', `${JSON.stringify(text)} ends before it starts.`, {
      hint: 'Write the lower address first.',
      input: text,
    });
  }
  return undefined;
}

function scanPrefixed(text: string, t: string, slash: number, out: EntryBounds): IpGateError | undefined {
  const addressText = t.slice(0, slash);
  const lengthText = t.slice(slash + 1);
  if (t.indexOf('/', slash + 1) >= 0 || SPACE.test(t)) {
    return new IpGateError('IPG_ENTRY_INVALID', `${JSON.stringify(text)} is not a CIDR.`, {
      hint: 'A CIDR is an address, one "/" and a length, with no spaces: 192.0.2.0/24.',
      input: text,
    });
  }
  let form: EntryForm = 'cidr';
  if (addressText.includes(':')) {
    const error = scanSingle(addressText, out, text);
    if (error !== undefined) return error;
  } else {
    const dots = countDots(addressText);
    if (dots >= 3) {
      // Four parts are a full address; more are an error the address scanner explains, never truncated.
      const error = scanSingle(addressText, out, text);
      if (error !== undefined) return error;
    } else {
      const parts = addressText.split('.');
      if (parts.some((p) => !OCTET.test(p) || Number(p) > 255)) {
        return new IpGateError(
          'IPG_ENTRY_INVALID',
          `${JSON.stringify(addressText)} is not an address or the start of one.`,
          {
            hint: 'Write the network in plain decimal: 192.168.0.0/16, or shortened as 192.168/16.',
            input: text,
          },
        );
      }
      let value = 0;
      for (let k = 0; k < 4; k++) value = value * 256 + (k < parts.length ? Number(parts[k]) : 0);
      out.family = 4;
      setV4(out.first, value);
      form = 'partial-cidr';
    }
  }
  const bits = out.family === 4 ? 32 : 128;
  let prefix: number;
  if (lengthText.includes('.') && out.family === 4) {
    const mask = scanIPv4(lengthText, 0, lengthText.length);
    if (mask < 0) {
      return new IpGateError('IPG_ENTRY_PREFIX_INVALID', `${JSON.stringify(lengthText)} is not a netmask.`, {
        hint: 'Write the netmask as a dotted quad like 255.255.255.0, or the length like /24.',
        input: text,
      });
    }
    const inverted = ~mask >>> 0;
    if ((inverted & (inverted + 1)) !== 0) {
      return new IpGateError(
        'IPG_ENTRY_NETMASK_NONCONTIGUOUS',
        `The netmask ${lengthText} is not contiguous.`,
        {
          hint: 'A netmask is ones followed by zeros, like 255.255.240.0 (/20); split other shapes into several entries.',
          input: text,
        },
      );
    }
    prefix = 32 - popcount(inverted);
    if (form === 'cidr') form = 'netmask';
  } else {
    if (!PREFIX.test(lengthText) || Number(lengthText) > bits) {
      const digits = /^[0-9]+$/.test(lengthText);
      return new IpGateError(
        'IPG_ENTRY_PREFIX_INVALID',
        `${JSON.stringify(lengthText)} is not a prefix length for IPv${out.family}.`,
        {
          hint:
            digits && Number(lengthText) <= bits
              ? `Write the length without leading zeros: /${Number(lengthText)}.`
              : `The length is a number from 0 to ${bits}${out.family === 4 ? ', or a netmask like 255.255.255.0' : ''}.`,
          input: text,
        },
      );
    }
    prefix = Number(lengthText);
  }
  out.prefix = prefix;
  out.form = form;
  const offset = out.family === 4 ? 96 : 0;
  let hostBits = false;
  for (let k = 0; k < 4; k++) {
    const inWord = Math.max(0, Math.min(32, prefix + offset - 32 * k));
    const mask = inWord === 0 ? 0 : (0xffffffff << (32 - inWord)) >>> 0;
    const word = out.first[k] as number;
    if ((word & mask) >>> 0 !== word) hostBits = true;
    out.last[k] = (word | ~mask) >>> 0;
  }
  if (out.family === 4) {
    out.last[0] = 0;
    out.last[1] = 0;
    out.last[2] = 0;
  }
  if (hostBits) {
    const network = new Uint32Array(4);
    for (let k = 0; k < 4; k++) {
      const inWord = Math.max(0, Math.min(32, prefix + offset - 32 * k));
      network[k] =
        ((out.first[k] as number) & (inWord === 0 ? 0 : (0xffffffff << (32 - inWord)) >>> 0)) >>> 0;
    }
    const hostText = out.family === 4 ? formatIPv4(out.first[3] as number) : addressText.toLowerCase();
    const networkText = out.family === 4 ? formatIPv4(network[3] as number) : formatWordsV6(network);
    return new IpGateError(
      'IPG_ENTRY_HOST_BITS',
      `${JSON.stringify(text)} has host bits set after /${prefix}.`,
      {
        hint: `For the network write ${networkText}/${prefix}; for the single address write ${hostText}/${bits} (or just ${hostText}).`,
        input: text,
      },
    );
  }
  return undefined;
}

function formatWordsV6(w: Uint32Array): string {
  return formatIPv6(w[0] as number, w[1] as number, w[2] as number, w[3] as number);
}

function checkType(text: string, type: EntryType, out: EntryBounds): IpGateError | undefined {
  const isSingle = out.form === 'address';
  if (type === 'ip' && !isSingle) {
    return new IpGateError(
      'IPG_ENTRY_TYPE_MISMATCH',
      `${JSON.stringify(text)} is a range, but type "ip" was asked for.`,
      {
        hint: 'Choose type "range" for CIDRs and ranges, or write a single address.',
        input: text,
        field: 'type',
      },
    );
  }
  if (type === 'range' && isSingle) {
    const bits = out.family === 4 ? 32 : 128;
    return new IpGateError(
      'IPG_ENTRY_TYPE_MISMATCH',
      `${JSON.stringify(text)} is a single address, but type "range" was asked for.`,
      {
        hint: `Choose type "ip" for a single address, or write it as ${text.trim()}/${bits}.`,
        input: text,
        field: 'type',
      },
    );
  }
  return undefined;
}

function countDots(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 46) n++;
  return n;
}

function popcount(x: number): number {
  let n = 0;
  let v = x >>> 0;
  while (v !== 0) {
    v &= v - 1;
    n++;
  }
  return n;
}

/** Lexicographic order of two four-word values. */
export function compareWords(a: Uint32Array, b: Uint32Array): number {
  for (let k = 0; k < 4; k++) {
    const d = (a[k] as number) - (b[k] as number);
    if (d !== 0) return d;
  }
  return 0;
}
