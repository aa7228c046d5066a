import { quoteInput } from './detail.js';
import { scanForwarded } from './parse-forwarded.js';
import type { ForwardingHeader, HeaderValue, RequestHeaders } from './strategy.js';

/**
 * How much of a forwarding header ipgate reads before it denies the request instead.
 *
 * Every proxy in front of a service appends one element, so real chains are a handful long; 64 is far
 * beyond any real deployment. 8 KiB is half of node's default limit for all headers together. Past
 * either limit the request is denied ('forwarded-header-malformed') rather than read in part, because a
 * part could not tell the leftmost element of an all-trusted chain, and because a client must not be
 * able to make every request it sends cost more.
 *
 * @example
 * forwardingHeaderLimits.maxElements; // 64
 */
export const forwardingHeaderLimits = Object.freeze({
  /** Most non-empty elements read, over all lines of the header together. */
  maxElements: 64,
  /** Most characters read, over all lines together (one more per line break, where lines are joined). */
  maxLength: 8192,
});

/**
 * The nodes of a forwarding header, left to right, or why the header cannot be read.
 *
 * A node is the text of an X-Forwarded-For element, or the unquoted `for` value of a Forwarded element
 * (`undefined` for an element without `for`). Nodes are not parsed here: only the one the walk reaches
 * is, so garbage a client put on the left is never even looked at.
 *
 * @example
 * const read: HeaderNodes = readHeaderNodes(req.headers, 'x-forwarded-for');
 * if (read.ok) read.nodes.at(-1); // what the last proxy wrote
 */
export type HeaderNodes =
  | { readonly ok: true; readonly nodes: ReadonlyArray<string | undefined> }
  | { readonly ok: false; readonly detail: string };

/**
 * The lines of a header: several for a `string[]`, one for a string, none when absent.
 *
 * @example
 * headerLines(['a', 'b']); // ['a', 'b']
 * headerLines('a, b'); // ['a, b']
 * headerLines(undefined); // []
 */
export function headerLines(value: HeaderValue): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/**
 * Reads the nodes of the configured forwarding header, all lines in order, within
 * {@link forwardingHeaderLimits}. An absent or empty header has no nodes.
 *
 * Lines are read one by one rather than joined, so a quote a client leaves open on its own Forwarded
 * line cannot run into the line a proxy added (node joins repeated lines into one string already; that
 * case is still safe, it only ends as a malformed header).
 *
 * @example
 * readHeaderNodes({ 'x-forwarded-for': ['192.0.2.1, 10.0.0.1', '10.0.0.2'] }, 'x-forwarded-for');
 * // { ok: true, nodes: ['192.0.2.1', '10.0.0.1', '10.0.0.2'] }
 * readHeaderNodes({ forwarded: 'for="[2001:db8::1]:80";proto=https, by=x' }, 'forwarded');
 * // { ok: true, nodes: ['[2001:db8::1]:80', undefined] }
 */
export function readHeaderNodes(headers: RequestHeaders, header: ForwardingHeader): HeaderNodes {
  const lines = headerLines(headers[header]);
  const { maxElements, maxLength } = forwardingHeaderLimits;
  let length = lines.length > 0 ? lines.length - 1 : 0;
  for (const line of lines) length += line.length;
  if (length > maxLength) {
    return { ok: false, detail: `${header} is ${length} characters long; at most ${maxLength} are read` };
  }
  const nodes: Array<string | undefined> = [];
  const tooMany = (): HeaderNodes => ({
    ok: false,
    detail: `${header} has more than ${maxElements} elements; at most ${maxElements} are read`,
  });
  if (header === 'x-forwarded-for') {
    for (const line of lines) {
      let start = 0;
      while (true) {
        const comma = line.indexOf(',', start);
        const end = comma < 0 ? line.length : comma;
        const node = trimWhitespace(line, start, end);
        // Empty list elements are ignored (RFC 7230 section 7); they carry no address to trust or choose.
        if (node !== '') {
          if (nodes.length === maxElements) return tooMany();
          nodes.push(node);
        }
        if (comma < 0) break;
        start = comma + 1;
      }
    }
    return { ok: true, nodes };
  }
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k] as string;
    const scan = scanForwarded(line);
    if (!scan.ok) {
      const where = lines.length > 1 ? ` of line ${k + 1}` : '';
      const near = quoteInput(line.slice(scan.offset, scan.offset + 24));
      return {
        ok: false,
        detail: `forwarded is malformed: ${scan.problem} at offset ${scan.offset}${where}, near ${near}`,
      };
    }
    for (const element of scan.elements) {
      if (nodes.length === maxElements) return tooMany();
      nodes.push(element['for']);
    }
  }
  return { ok: true, nodes };
}

/** Optional whitespace is SP and HTAB only; other characters around a node make it garbage. */
function trimWhitespace(text: string, start: number, end: number): string {
  while (start < end && isWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isWhitespace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isWhitespace(c: number): boolean {
  return c === 32 || c === 9;
}
