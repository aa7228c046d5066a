/**
 * The addresses the review benchmarks make up (the loads, the writer and batch benches): the `n`-th
 * address under `prefix` (a /48 such as `2003:e1:1`, or a /32), `<prefix>:<hi>:<lo>::1`, with the
 * counter's two 16-bit halves as the next two groups — in hex, as every group of an IPv6 address is
 * (a decimal group of five digits is no address: the gateway answered 403 to it and reviewed nothing).
 *
 * @example
 * freshAddress('2003:e1:1', 70_000); // '2003:e1:1:1:1170::1'
 */
export function freshAddress(prefix, n) {
  return `${prefix}:${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}::1`;
}
