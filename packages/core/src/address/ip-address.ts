import { explainAddressError } from './explain-address-error.js';
import { formatIPv4, scanIPv4 } from './ipv4.js';
import { formatIPv6, isIPv4MappedWords, scanIPv6 } from './ipv6.js';

export type IpFamily = 4 | 6;

const scratch = new Uint32Array(4);

/**
 * An immutable IPv4 or IPv6 address, parsed strictly (docs/architecture/entries.md#addresses).
 *
 * The value is held as four big-endian 32-bit words; an IPv4 address has only the last one set.
 *
 * @example
 * const a = IpAddress.parse('2001:DB8::1');
 * a.family; // 6
 * a.toString(); // '2001:db8::1'
 * IpAddress.parse('::ffff:192.0.2.1').unmap().toString(); // '192.0.2.1'
 */
export class IpAddress {
  private constructor(
    readonly family: IpFamily,
    readonly w0: number,
    readonly w1: number,
    readonly w2: number,
    readonly w3: number,
  ) {}

  /**
   * Parses an address, or throws an `IpGateError` that says what is wrong and how to write it.
   *
   * @example
   * IpAddress.parse('192.0.2.1');
   * IpAddress.parse('127.1'); // throws IPG_ADDRESS_AMBIGUOUS_IPV4
   */
  static parse(text: string, field?: string): IpAddress {
    const parsed = IpAddress.tryParse(text);
    if (parsed === undefined) throw explainAddressError(text, field);
    return parsed;
  }

  /**
   * Parses an address; `undefined` when it is not one. For the request path, where the reason does not matter.
   *
   * @example
   * IpAddress.tryParse('fe80::1%eth0'); // undefined
   */
  static tryParse(text: string): IpAddress | undefined {
    const v4 = scanIPv4(text, 0, text.length);
    if (v4 >= 0) return new IpAddress(4, 0, 0, 0, v4);
    if (!scanIPv6(text, 0, text.length, scratch)) return undefined;
    return new IpAddress(
      6,
      scratch[0] as number,
      scratch[1] as number,
      scratch[2] as number,
      scratch[3] as number,
    );
  }

  /** @example IpAddress.fromIPv4Number(0xc0000201).toString(); // '192.0.2.1' */
  static fromIPv4Number(value: number): IpAddress {
    return new IpAddress(4, 0, 0, 0, value >>> 0);
  }

  /** @example IpAddress.fromWords(6, 0x20010db8, 0, 0, 1).toString(); // '2001:db8::1' */
  static fromWords(family: IpFamily, w0: number, w1: number, w2: number, w3: number): IpAddress {
    return family === 4
      ? new IpAddress(4, 0, 0, 0, w3 >>> 0)
      : new IpAddress(6, w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0);
  }

  /** @example IpAddress.fromBigInt(6, 1n).toString(); // '::1' */
  static fromBigInt(family: IpFamily, value: bigint): IpAddress {
    const bits = family === 4 ? 32n : 128n;
    if (value < 0n || value >> bits !== 0n) throw new RangeError(`${value} is not an IPv${family} value`);
    const m = 0xffffffffn;
    return IpAddress.fromWords(
      family,
      Number((value >> 96n) & m),
      Number((value >> 64n) & m),
      Number((value >> 32n) & m),
      Number(value & m),
    );
  }

  /** True for `::ffff:a.b.c.d`. Only this block is unmapped; IPv4-compatible, NAT64, 6to4 and Teredo are not. */
  get isIPv4Mapped(): boolean {
    return this.family === 6 && isIPv4MappedWords(this.w0, this.w1, this.w2);
  }

  /**
   * The IPv4 address for an IPv4-mapped one, else this address. Dual-stack sockets report IPv4 peers mapped.
   *
   * @example IpAddress.parse('::ffff:10.0.0.1').unmap().family; // 4
   */
  unmap(): IpAddress {
    return this.isIPv4Mapped ? new IpAddress(4, 0, 0, 0, this.w3) : this;
  }

  /** @example IpAddress.parse('0.0.1.0').toBigInt(); // 256n */
  toBigInt(): bigint {
    return (BigInt(this.w0) << 96n) | (BigInt(this.w1) << 64n) | (BigInt(this.w2) << 32n) | BigInt(this.w3);
  }

  /** Orders by family (IPv4 first), then by value. */
  compare(other: IpAddress): number {
    return (
      this.family - other.family ||
      this.w0 - other.w0 ||
      this.w1 - other.w1 ||
      this.w2 - other.w2 ||
      this.w3 - other.w3
    );
  }

  equals(other: IpAddress): boolean {
    return this.compare(other) === 0;
  }

  /** The canonical text: dotted quad, or RFC 5952 for IPv6. */
  toString(): string {
    return this.family === 4 ? formatIPv4(this.w3) : formatIPv6(this.w0, this.w1, this.w2, this.w3);
  }

  toJSON(): string {
    return this.toString();
  }

  /** How `console.log` and `util.inspect` show it: `IpAddress(192.0.2.1)`, not its four words. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `IpAddress(${this.toString()})`;
  }
}

/**
 * Parses and prints an address canonically, in one call.
 *
 * @example
 * canonicalAddress('2001:0DB8:0:0::1'); // '2001:db8::1'
 */
export function canonicalAddress(text: string): string {
  return IpAddress.parse(text).toString();
}
