import type { IpAddress } from '@ipgate/core';
import { AsnNames } from './asn-names.js';
import { v4RangeIndex, v6RangeIndex } from './range-search.js';

/**
 * ASN ranges in sorted typed arrays, looked up by binary search (range-search.ts). IPv6 ranges by
 * the top 64 bits of their bounds: operators announce nothing longer than a /64 to the world.
 */
export class AsnTable {
  private constructor(
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Asn: Uint32Array,
    private readonly v6Start: Uint32Array,
    private readonly v6End: Uint32Array,
    private readonly v6Asn: Uint32Array,
    private readonly names: AsnNames,
  ) {}

  /** How many ranges of each family. */
  get size(): { readonly v4: number; readonly v6: number } {
    return { v4: this.v4Asn.length, v6: this.v6Asn.length };
  }

  /**
   * The ASN of the range holding the address, or null.
   *
   * @example table.lookup(IpAddress.parse('1.0.0.1')); // 13335
   */
  lookup(address: IpAddress): number | null {
    if (address.family === 4) {
      const i = v4RangeIndex(this.v4Start, this.v4End, address.w3 >>> 0);
      return i < 0 ? null : (this.v4Asn[i] as number);
    }
    const i = v6RangeIndex(this.v6Start, this.v6End, address.w0 >>> 0, address.w1 >>> 0);
    return i < 0 ? null : (this.v6Asn[i] as number);
  }

  /** The operator's name as the data gives it, or null. */
  nameOf(asn: number): string | null {
    return this.names.nameOf(asn);
  }

  /**
   * Reads the CSVs of `@ip-location-db/asn`: `asn-ipv4-num.csv` (`start,end,asn,name` with decimal
   * bounds) and `asn-ipv6.csv` (the same with IPv6 text bounds). Yields to the event loop every few
   * thousand rows, so a server that loads it while serving keeps answering.
   *
   * @example
   * const table = await AsnTable.fromCsv(readFileSync(v4), readFileSync(v6), parseIPv6);
   */
  static async fromCsv(
    v4: Buffer,
    v6: Buffer,
    parseV6: (text: string) => IpAddress | undefined,
  ): Promise<AsnTable> {
    const names = new Map<number, string>();
    const v4Rows = countLines(v4);
    const v4Start = new Uint32Array(v4Rows);
    const v4End = new Uint32Array(v4Rows);
    const v4Asn = new Uint32Array(v4Rows);
    let n = 0;
    await eachRow(v4, (fields) => {
      const start = Number(fields[0]);
      const end = Number(fields[1]);
      const asn = Number(fields[2]);
      if (!Number.isInteger(start) || !Number.isInteger(end) || !Number.isInteger(asn) || asn <= 0) return;
      v4Start[n] = start;
      v4End[n] = end;
      v4Asn[n] = asn;
      n++;
      if (fields[3] !== undefined && fields[3] !== '' && !names.has(asn)) names.set(asn, fields[3]);
    });
    const v6Rows = countLines(v6);
    const v6Start = new Uint32Array(2 * v6Rows);
    const v6End = new Uint32Array(2 * v6Rows);
    const v6Asn = new Uint32Array(v6Rows);
    let m = 0;
    await eachRow(v6, (fields) => {
      const start = parseV6(fields[0] ?? '');
      const end = parseV6(fields[1] ?? '');
      const asn = Number(fields[2]);
      if (
        start === undefined ||
        end === undefined ||
        start.family !== 6 ||
        !Number.isInteger(asn) ||
        asn <= 0
      ) {
        return;
      }
      v6Start[2 * m] = start.w0;
      v6Start[2 * m + 1] = start.w1;
      v6End[2 * m] = end.w0;
      v6End[2 * m + 1] = end.w1;
      v6Asn[m] = asn;
      m++;
      if (fields[3] !== undefined && fields[3] !== '' && !names.has(asn)) names.set(asn, fields[3]);
    });
    return new AsnTable(
      v4Start.slice(0, n),
      v4End.slice(0, n),
      v4Asn.slice(0, n),
      v6Start.slice(0, 2 * m),
      v6End.slice(0, 2 * m),
      v6Asn.slice(0, m),
      AsnNames.from(names),
    );
  }
}

function countLines(buf: Buffer): number {
  let n = 1;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Calls `row` with the fields of every line: comma-separated, a field in double quotes may hold
 * commas and doubled quotes. Rows come in file order (the data is sorted by start).
 */
async function eachRow(buf: Buffer, row: (fields: string[]) => void): Promise<void> {
  const text = buf.toString('utf8');
  let i = 0;
  let rows = 0;
  while (i < text.length) {
    let nl = text.indexOf('\n', i);
    if (nl < 0) nl = text.length;
    const line = text.charCodeAt(nl - 1) === 13 ? text.slice(i, nl - 1) : text.slice(i, nl);
    i = nl + 1;
    if (line === '') continue;
    row(line.includes('"') ? quotedFields(line) : line.split(','));
    if (++rows % 20_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

function quotedFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}
