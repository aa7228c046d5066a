import type { IpAddress } from '@ipgate/core';
import type { Reader, Response } from 'maxmind';
import { v4RangeIndex, v6RangeIndex } from './range-search.js';

/** What the walk needs of mmdb-lib's Reader beyond its public API (stable in its 2.x/3.x line). */
interface ReaderInternals {
  readonly metadata: {
    readonly nodeCount: number;
    readonly nodeByteSize: number;
    readonly ipVersion: number;
  };
  readonly walker: { left(offset: number): number; right(offset: number): number };
  readonly ipv4StartNodeNumber: number;
  resolveDataPointer(pointer: number): unknown;
}

/**
 * Country ranges in sorted typed arrays, from a MaxMind DB file walked once at load: a lookup is a
 * binary search (range-search.ts, a few hundred nanoseconds) where the MaxMind reader takes microseconds per address
 * (it walks the tree bit by bit and decodes the record), which the request path cannot afford.
 * IPv6 by the top 64 bits, as the ASN table.
 */
export class CountryTable {
  private constructor(
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Code: Uint16Array,
    private readonly v6Start: Uint32Array,
    private readonly v6End: Uint32Array,
    private readonly v6Code: Uint16Array,
    private readonly codes: readonly string[],
  ) {}

  /** @example table.lookup(IpAddress.parse('8.8.8.8')); // 'US' */
  lookup(address: IpAddress): string | null {
    if (address.family === 4) {
      const i = v4RangeIndex(this.v4Start, this.v4End, address.w3 >>> 0);
      return i < 0 ? null : (this.codes[this.v4Code[i] as number] ?? null);
    }
    const i = v6RangeIndex(this.v6Start, this.v6End, address.w0 >>> 0, address.w1 >>> 0);
    return i < 0 ? null : (this.codes[this.v6Code[i] as number] ?? null);
  }

  /**
   * Walks every network of a country database (records with `country_code`).
   *
   * @example const table = CountryTable.fromReader(new Reader(readFileSync('iptoasn-country.mmdb')));
   */
  static fromReader(reader: Reader<Response>): CountryTable {
    const r = reader as unknown as ReaderInternals;
    const { nodeCount, nodeByteSize, ipVersion } = r.metadata;
    const codes: string[] = [];
    const codeIndex = new Map<string, number>();
    const byPointer = new Map<number, number>();
    const codeOf = (pointer: number): number => {
      const known = byPointer.get(pointer);
      if (known !== undefined) return known;
      const record = r.resolveDataPointer(pointer) as { country_code?: unknown } | null;
      const code = typeof record?.country_code === 'string' ? record.country_code : '';
      let i = codeIndex.get(code);
      if (i === undefined) {
        i = codes.length;
        codes.push(code);
        codeIndex.set(code, i);
      }
      byPointer.set(pointer, i);
      return i;
    };
    const v4s: number[] = [];
    const v4e: number[] = [];
    const v4c: number[] = [];
    const walk4 = (node: number, depth: number, base: number): void => {
      if (node === nodeCount) return;
      if (node > nodeCount) {
        v4s.push(base);
        v4e.push(base + 2 ** (32 - depth) - 1);
        v4c.push(codeOf(node));
        return;
      }
      if (depth === 32) return;
      const offset = node * nodeByteSize;
      walk4(r.walker.left(offset), depth + 1, base);
      walk4(r.walker.right(offset), depth + 1, base + 2 ** (31 - depth));
    };
    const ipv4Start = ipVersion === 4 ? 0 : r.ipv4StartNodeNumber;
    walk4(ipv4Start, 0, 0);

    const v6s: number[] = [];
    const v6e: number[] = [];
    const v6c: number[] = [];
    const push6 = (depth: number, hi: number, lo: number, code: number): void => {
      const d = Math.min(depth, 64);
      const hiEnd = d >= 32 ? hi : (hi | (d === 0 ? 0xffffffff : 0xffffffff >>> d)) >>> 0;
      const loEnd = d <= 32 ? 0xffffffff : d === 64 ? lo : (lo | (0xffffffff >>> (d - 32))) >>> 0;
      // Past /64 the table keeps one range per /64: the first network of it stands for it.
      const n = v6c.length;
      if (n > 0 && v6s[2 * n - 2] === hi && v6s[2 * n - 1] === lo) return;
      v6s.push(hi, lo);
      v6e.push(hiEnd, loEnd);
      v6c.push(code);
    };
    const walk6 = (node: number, depth: number, hi: number, lo: number): void => {
      // IPv4 (and the blocks the database aliases to it) comes from the walk above.
      if (node === nodeCount || (node === ipv4Start && ipVersion === 6)) return;
      if (node > nodeCount) {
        push6(depth, hi, lo, codeOf(node));
        return;
      }
      if (depth === 128) return;
      const offset = node * nodeByteSize;
      walk6(r.walker.left(offset), depth + 1, hi, lo);
      const rh = depth < 32 ? (hi | (1 << (31 - depth))) >>> 0 : hi;
      const rl = depth >= 32 && depth < 64 ? (lo | (1 << (63 - depth))) >>> 0 : lo;
      walk6(r.walker.right(offset), depth + 1, rh, rl);
    };
    if (ipVersion === 6) walk6(0, 0, 0, 0);
    return new CountryTable(
      Uint32Array.from(v4s),
      Uint32Array.from(v4e),
      Uint16Array.from(v4c),
      Uint32Array.from(v6s),
      Uint32Array.from(v6e),
      Uint16Array.from(v6c),
      codes,
    );
  }
}
