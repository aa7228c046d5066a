/**
 * Pure helpers for the IpSet benchmark: seeded data, a simple reference matcher and the answer cross-check.
 * Nothing here imports ipgate, so the reference cannot share a bug with the code it checks.
 */

/**
 * A seeded 32-bit generator (mulberry32): the same seed always gives the same data.
 *
 * @example
 * const next = seededRandom(1);
 * next(); // an unsigned 32-bit integer, the same one for every run
 */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * The same strings, each one flat and laid out in array order. Strings built by concatenation are ropes
 * that V8 flattens on first read, which would move memory around during a measured build; and a request's
 * address string is freshly made, so in cache, not scattered over the heap as a shuffled array would be.
 */
export function flatStrings(texts) {
  return JSON.parse(JSON.stringify(texts));
}

/** An integer in [0, n), n ≤ 2^32. */
function below(next, n) {
  return Math.floor((next() / 4294967296) * n);
}

/** @example ipv4Text(3221225985); // '192.0.2.1' */
export function ipv4Text(value) {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * RFC 5952 text of a 128-bit bigint: lower case, the longest run of two or more zero groups compressed.
 *
 * @example ipv6Text(0x20010db8000000000000000000000001n); // '2001:db8::1'
 */
export function ipv6Text(value) {
  const groups = [];
  for (let k = 7; k >= 0; k--) groups.push(Number((value >> BigInt(16 * k)) & 0xffffn));
  let bestAt = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && groups[end] === 0) end++;
    if (end - k > bestLength) {
      bestAt = k;
      bestLength = end - k;
    }
    k = end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLength).join(':')}`;
}

/**
 * Shortest IPv4 prefix length for a list of `count` random CIDRs: long enough that the list covers a small
 * part of the address space, so that random addresses are mostly outside it.
 */
export function shortestIPv4Prefix(count) {
  return Math.min(30, Math.max(8, Math.ceil(Math.log2(Math.max(count, 2))) + 6));
}

/**
 * `count` random IPv4 CIDRs with prefix lengths spread evenly over [shortestIPv4Prefix(count), 32].
 * They may nest or repeat, as real lists do.
 *
 * @returns entries as text, with each entry's first and last address as unsigned 32-bit numbers.
 */
export function randomIPv4Cidrs(count, seed) {
  const next = seededRandom(seed);
  const shortest = shortestIPv4Prefix(count);
  const entries = new Array(count);
  const firsts = new Float64Array(count);
  const lasts = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const length = shortest + below(next, 33 - shortest);
    const size = 2 ** (32 - length);
    const network = Math.floor(next() / size) * size;
    entries[k] = `${ipv4Text(network)}/${length}`;
    firsts[k] = network;
    lasts[k] = network + size - 1;
  }
  const flat = flatStrings(entries);
  return { family: 4, entries: flat, v4: { entries: flat, firsts, lasts, count }, v6: emptyV6() };
}

/**
 * `count` IPv4 entries shaped like the lists people keep: 80 % single addresses (written without a
 * prefix), 19.9 % networks /24–/31 and 0.1 % larger ones (/12–/23), all at random in the public-looking
 * space 1.0.0.0–223.255.255.255. Addresses may repeat or fall inside a listed network, as in real lists.
 *
 * @returns entries as text, with each entry's first and last address as unsigned 32-bit numbers.
 */
export function realisticIPv4List(count, seed) {
  const next = seededRandom(seed);
  const entries = new Array(count);
  const firsts = new Float64Array(count);
  const lasts = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const roll = below(next, 1000);
    const address = (1 + below(next, 223)) * 2 ** 24 + (next() & 0xffffff);
    const length = roll < 800 ? 32 : roll < 999 ? 24 + below(next, 8) : 12 + below(next, 12);
    const size = 2 ** (32 - length);
    const network = address - (address % size);
    entries[k] = length === 32 ? ipv4Text(network) : `${ipv4Text(network)}/${length}`;
    firsts[k] = network;
    lasts[k] = network + size - 1;
  }
  const flat = flatStrings(entries);
  return { family: 4, entries: flat, v4: { entries: flat, firsts, lasts, count }, v6: emptyV6() };
}

const V6_TOP = 0x2000n << 112n; // 2000::/3, global unicast
const V6_SPAN = 1n << 125n;

function random128(next) {
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(next());
  return v;
}

function emptyV6() {
  return { entries: [], firsts: [], lasts: [], count: 0 };
}

/**
 * `count` random IPv6 CIDRs in 2000::/3, prefix lengths spread evenly over 24–64 plus a quarter /128s.
 */
export function randomIPv6Cidrs(count, seed) {
  const next = seededRandom(seed);
  const entries = new Array(count);
  const firsts = new Array(count);
  const lasts = new Array(count);
  for (let k = 0; k < count; k++) {
    const length = below(next, 4) === 0 ? 128 : 24 + below(next, 41);
    const hostBits = BigInt(128 - length);
    const address = V6_TOP + (random128(next) % V6_SPAN);
    const network = (address >> hostBits) << hostBits;
    entries[k] = `${ipv6Text(network)}/${length}`;
    firsts[k] = network;
    lasts[k] = network + (1n << hostBits) - 1n;
  }
  const v4 = { entries: [], firsts: new Float64Array(0), lasts: new Float64Array(0), count: 0 };
  const flat = flatStrings(entries);
  return { family: 6, entries: flat, v4, v6: { entries: flat, firsts, lasts, count } };
}

/** `count` entries, half IPv4 and half IPv6 CIDRs, interleaved. */
export function randomMixedCidrs(count, seed) {
  const four = randomIPv4Cidrs(Math.ceil(count / 2), seed);
  const six = randomIPv6Cidrs(Math.floor(count / 2), seed ^ 0x5bd1e995);
  const entries = [];
  for (let k = 0; k < four.entries.length; k++) {
    entries.push(four.entries[k]);
    if (k < six.entries.length) entries.push(six.entries[k]);
  }
  return { family: 'mixed', entries: flatStrings(entries), v4: four.v4, v6: six.v6 };
}

/**
 * A reference matcher: each family's ranges sorted and merged, then one binary search.
 * Simple on purpose (no index, no specificity), and independent of ipgate.
 */
export function createReference(list) {
  const v4 = mergeRanges(Array.from(list.v4.firsts), Array.from(list.v4.lasts));
  const v6 = mergeRanges(list.v6.firsts.slice(0, list.v6.count), list.v6.lasts);
  return {
    /** @param family 4 or 6; value a number (IPv4) or a bigint (IPv6). */
    contains(family, value) {
      return search(family === 4 ? v4 : v6, value);
    },
  };
}

function mergeRanges(firsts, lasts) {
  const order = firsts
    .map((_, k) => k)
    .sort((a, b) => (firsts[a] < firsts[b] ? -1 : firsts[a] > firsts[b] ? 1 : 0));
  const starts = [];
  const ends = [];
  for (const k of order) {
    const n = starts.length;
    if (n > 0 && firsts[k] <= ends[n - 1] + (typeof firsts[k] === 'bigint' ? 1n : 1)) {
      if (lasts[k] > ends[n - 1]) ends[n - 1] = lasts[k];
    } else {
      starts.push(firsts[k]);
      ends.push(lasts[k]);
    }
  }
  return { starts, ends };
}

function search({ starts, ends }, value) {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && value <= ends[found];
}

/**
 * Query addresses as text for a list, in a seeded random order: exactly half inside a random entry,
 * half outside every entry (checked against the reference).
 *
 * @param options.family which entries to query: 4, 6, or 'mixed' (alternate by coin flip)
 * @param options.mapped write IPv4 queries IPv4-mapped, `::ffff:a.b.c.d`, as a dual-stack socket reports them
 * @returns texts plus, for each, the answer a correct matcher gives (1 inside, 0 outside)
 */
export function randomQueries(list, count, seed, options = {}) {
  const { family = list.family, mapped = false } = options;
  const next = seededRandom(seed);
  const reference = options.reference ?? createReference(list);
  const texts = new Array(count);
  const values = new Array(count);
  const families = new Uint8Array(count);
  const expected = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    const inside = k % 2 === 0;
    const six = family === 6 || (family === 'mixed' && next() % 2 === 1);
    if (six) {
      const { firsts, lasts, count: n } = list.v6;
      let value;
      if (inside) {
        const e = below(next, n);
        value = firsts[e] + (random128(next) % (lasts[e] - firsts[e] + 1n));
      } else {
        do value = V6_TOP + (random128(next) % V6_SPAN);
        while (reference.contains(6, value));
      }
      texts[k] = ipv6Text(value);
      values[k] = value;
      families[k] = 6;
    } else {
      const { firsts, lasts, count: n } = list.v4;
      let value;
      if (inside) {
        const e = below(next, n);
        value = firsts[e] + below(next, lasts[e] - firsts[e] + 1);
      } else {
        do value = next();
        while (reference.contains(4, value));
      }
      texts[k] = mapped ? `::ffff:${ipv4Text(value)}` : ipv4Text(value);
      values[k] = value;
      families[k] = 4;
    }
    expected[k] = inside ? 1 : 0;
  }
  shuffle([texts, values, families, expected], next);
  return { texts: flatStrings(texts), values, families, expected };
}

function shuffle(columns, next) {
  for (let k = columns[0].length - 1; k > 0; k--) {
    const j = below(next, k + 1);
    for (const c of columns) [c[k], c[j]] = [c[j], c[k]];
  }
}

/**
 * Compares a library's answers with the expected ones over the first `answers.length` queries.
 *
 * @returns how many were checked, how many differ, and up to `keep` examples of differing queries
 * @example
 * crossCheck(['10.0.0.1'], Uint8Array.of(1), Uint8Array.of(0)).mismatches; // 1
 */
export function crossCheck(texts, expected, answers, keep = 3) {
  let mismatches = 0;
  let falseAllows = 0;
  const examples = [];
  for (let k = 0; k < answers.length; k++) {
    const got = answers[k] ? 1 : 0;
    if (got === expected[k]) continue;
    mismatches++;
    if (got === 1) falseAllows++;
    if (examples.length < keep) examples.push({ index: k, query: texts[k], got: got === 1 });
  }
  return { checked: answers.length, mismatches, falseAllows, examples };
}

/** An entry of the list containing a query's value, by linear scan; for explaining a mismatch. */
export function entryContaining(list, family, value) {
  const side = family === 4 ? list.v4 : list.v6;
  for (let k = 0; k < side.count; k++) {
    if (side.firsts[k] <= value && value <= side.lasts[k]) return side.entries[k];
  }
  return undefined;
}

/** Median of a list of numbers. */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Hand-picked inputs where matchers are known to differ, with the answer ipgate gives
 * (docs/architecture/entries.md#addresses): strict address text only, and IPv4-mapped IPv6 treated as
 * the IPv4 address.
 */
export const edgeCases = [
  { entries: ['10.0.0.0/8'], input: '10.1.2.3', expected: true, why: 'plain IPv4' },
  { entries: ['10.0.0.0/8'], input: '::ffff:10.1.2.3', expected: true, why: 'IPv4-mapped, dotted' },
  { entries: ['10.0.0.0/8'], input: '::ffff:a01:203', expected: true, why: 'IPv4-mapped, hex' },
  { entries: ['10.0.0.0/8'], input: '::FFFF:10.1.2.3', expected: true, why: 'IPv4-mapped, upper case' },
  {
    entries: ['10.0.0.0/8'],
    input: '0:0:0:0:0:ffff:10.1.2.3',
    expected: true,
    why: 'IPv4-mapped, uncompressed',
  },
  {
    entries: ['10.0.0.0/8'],
    input: '::10.1.2.3',
    expected: false,
    why: 'IPv4-compatible (deprecated), not mapped',
  },
  { entries: ['10.0.0.0/8'], input: '64:ff9b::a01:203', expected: false, why: 'NAT64 prefix, not mapped' },
  {
    entries: ['10.0.0.0/8'],
    input: '::ffff:0:a01:203',
    expected: false,
    why: 'IPv4-translated (::ffff:0:0/96), not mapped',
  },
  { entries: ['10.0.0.0/8'], input: '010.1.2.3', expected: false, why: 'leading zero (octal to inet_aton)' },
  { entries: ['10.0.0.0/8'], input: '10.1', expected: false, why: 'shortened (10.0.0.1 to inet_aton)' },
  { entries: ['10.0.0.0/8'], input: '0xa.1.2.3', expected: false, why: 'hex part' },
  { entries: ['10.0.0.0/8'], input: '167837955', expected: false, why: 'integer form of 10.1.2.3' },
  { entries: ['10.0.0.0/8'], input: ' 10.1.2.3', expected: false, why: 'leading space' },
  { entries: ['2001:db8::/32'], input: '2001:DB8::1', expected: true, why: 'upper-case IPv6' },
  { entries: ['2001:db8::/32'], input: '2001:db8::1%eth0', expected: false, why: 'zone id' },
  {
    entries: ['::ffff:192.0.2.0/120'],
    input: '192.0.2.5',
    expected: true,
    why: 'IPv4 caller, IPv4-mapped entry',
  },
  { entries: ['192.0.2.0/24'], input: '::ffff:192.0.2.5', expected: true, why: 'mapped caller, IPv4 entry' },
  {
    entries: ['::/0'],
    input: '192.0.2.5',
    expected: true,
    why: 'IPv6 everything, IPv4 caller (mapped part)',
  },
];
