/**
 * The rule lists of the gateway benchmark: 1,000 IPv4 entries each, seeded so every run and
 * every target (ipgate, nginx) gets the same rules. Entries are single addresses and network-aligned
 * CIDRs in public space; 127.0.0.1 — the benchmark client — is the last entry, and nothing covers
 * 127.0.0.2, which the pre-flight check uses to see a denial.
 */

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same lists on every machine.
 *
 * @example
 * const next = seededRandom(1); next(); // 0.6270739405881613
 */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` distinct entries, the last being 127.0.0.1: about 60% single addresses, the rest CIDRs
 * from /16 to /28, all aligned (nginx warns about host bits; ipgate would canonicalise them).
 *
 * @example
 * const allow = ruleList(1_000, 3); allow.length; // 1000
 * allow.at(-1); // '127.0.0.1'
 */
export function ruleList(count, seed) {
  const next = seededRandom(seed);
  const seen = new Set();
  const byte = () => Math.floor(next() * 256);
  while (seen.size < count - 1) {
    // Public-looking first octets only: never 0, 10, 127 or 224 and above.
    let first = 1 + Math.floor(next() * 222);
    if (first === 10 || first === 127) first = 11;
    const address = [first, byte(), byte(), byte()];
    if (next() < 0.6) {
      seen.add(address.join('.'));
      continue;
    }
    const prefix = 16 + Math.floor(next() * 13);
    const value = ((address[0] << 24) | (address[1] << 16) | (address[2] << 8) | address[3]) >>> 0;
    const network = prefix === 0 ? 0 : (value & (0xffffffff << (32 - prefix))) >>> 0;
    const octets = [network >>> 24, (network >>> 16) & 255, (network >>> 8) & 255, network & 255];
    seen.add(`${octets.join('.')}/${prefix}`);
  }
  return [...seen, '127.0.0.1'];
}
