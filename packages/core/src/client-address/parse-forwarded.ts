/**
 * RFC 7239 `Forwarded` syntax:
 *
 *   Forwarded         = 1#forwarded-element
 *   forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
 *   forwarded-pair    = token "=" value
 *   value             = token / quoted-string
 *
 * with the list rule of RFC 7230 section 7 (OWS around commas, empty list elements ignored) and the
 * token and quoted-string rules of RFC 7230 section 3.2.6.
 */

/**
 * A successful scan, or where and why the header stopped making sense (for operators' logs).
 *
 * @example
 * const scan: ForwardedScan = scanForwarded('for=[::1]');
 * if (!scan.ok) console.warn(`${scan.problem} at offset ${scan.offset}`);
 */
export type ForwardedScan =
  | { readonly ok: true; readonly elements: Array<Record<string, string>> }
  | { readonly ok: false; readonly offset: number; readonly problem: string };

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) {
  TCHAR[c] = 1;
  TCHAR[c + 32] = 1;
}

const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const SEMICOLON = 59;
const EQUALS = 61;
const BACKSLASH = 92;

/**
 * Scans a `Forwarded` header value, reporting the first syntax error with its offset.
 *
 * Strict where a lenient reading could change which address is chosen (`=` must touch its name and
 * value, IPv6 and ports must be quoted because `:`, `[` and `]` are not token characters, a parameter
 * may appear once per element), lenient only where nothing can be misread: optional whitespace is
 * accepted around `;` as well as around `,`, since some proxies write `for=…; proto=https`.
 *
 * @example
 * scanForwarded('for=192.0.2.60;proto=http'); // { ok: true, elements: [{ for: '192.0.2.60', proto: 'http' }] }
 * scanForwarded('for="[2001:db8::1]'); // { ok: false, offset: 4, problem: 'unterminated quoted string' }
 */
export function scanForwarded(value: string): ForwardedScan {
  const n = value.length;
  const elements: Array<Record<string, string>> = [];
  let i = 0;
  while (true) {
    i = skipWhitespace(value, i);
    if (i === n) return { ok: true, elements };
    if (value.charCodeAt(i) === COMMA) {
      // The comma after an element, or an empty list element, which RFC 7230 says to ignore.
      i++;
      continue;
    }
    // A null prototype, so that parameters named `__proto__` or `constructor` are plain data.
    const element: Record<string, string> = Object.create(null);
    while (true) {
      i = skipWhitespace(value, i);
      if (i === n || value.charCodeAt(i) === COMMA) break;
      if (value.charCodeAt(i) === SEMICOLON) {
        i++;
        continue;
      }
      const nameStart = i;
      i = skipToken(value, i);
      if (i === nameStart) return fail(i, 'expected a parameter name');
      const name = value.slice(nameStart, i).toLowerCase();
      if (i === n || value.charCodeAt(i) !== EQUALS) return fail(i, `expected "=" after ${name}`);
      i++;
      let parameter: string;
      if (i < n && value.charCodeAt(i) === QUOTE) {
        const quoted = scanQuoted(value, i);
        if (typeof quoted === 'number') {
          return fail(
            quoted < 0 ? i : quoted,
            quoted < 0 ? 'unterminated quoted string' : 'bad character in quoted string',
          );
        }
        parameter = quoted.text;
        i = quoted.end;
      } else {
        const valueStart = i;
        i = skipToken(value, i);
        if (i === valueStart) return fail(i, `expected a token or a quoted string after ${name}=`);
        parameter = value.slice(valueStart, i);
      }
      // RFC 7239 section 4 forbids repeats; taking either one would let the sender pick.
      if (Object.hasOwn(element, name))
        return fail(nameStart, `parameter ${name} appears twice in one element`);
      element[name] = parameter;
      i = skipWhitespace(value, i);
      if (i === n || value.charCodeAt(i) === COMMA) break;
      if (value.charCodeAt(i) !== SEMICOLON) return fail(i, 'expected ";" or "," after a parameter');
      i++;
    }
    elements.push(element);
  }
}

/**
 * RFC 7239 parser: returns the elements in order, each a map of lower-cased parameter names to unquoted
 * values; undefined when malformed.
 *
 * Never throws, for any string. An element written as only `;` comes back as an empty map (an element
 * without `for`); empty list elements (`a, , b`) are skipped as RFC 7230 asks. Maps have no prototype.
 *
 * @example
 * parseForwarded('For="[2001:db8:cafe::17]:4711", for=192.0.2.43;proto=https');
 * // [{ for: '[2001:db8:cafe::17]:4711' }, { for: '192.0.2.43', proto: 'https' }]
 * parseForwarded('for="a,b";by=_hidden'); // [{ for: 'a,b', by: '_hidden' }]
 * parseForwarded('for=[::1]'); // undefined: IPv6 must be quoted
 */
export function parseForwarded(value: string): Array<Record<string, string>> | undefined {
  const scan = scanForwarded(value);
  return scan.ok ? scan.elements : undefined;
}

function fail(offset: number, problem: string): ForwardedScan {
  return { ok: false, offset, problem };
}

function skipWhitespace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

function skipToken(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) break;
    i++;
  }
  return i;
}

/**
 * Reads the quoted-string opening at `start`. Returns the unescaped text and the offset after the closing
 * quote; -1 when it never closes; else the offset of a character RFC 7230 does not allow there
 * (control characters, DEL, anything above U+00FF, which no header line can carry).
 */
function scanQuoted(text: string, start: number): { text: string; end: number } | number {
  let out = '';
  let runStart = start + 1;
  let i = runStart;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return { text: out + text.slice(runStart, i), end: i + 1 };
    if (c === BACKSLASH) {
      if (i + 1 === text.length) return -1;
      if (!isQuotedPairChar(text.charCodeAt(i + 1))) return i + 1;
      out += text.slice(runStart, i);
      runStart = i + 1;
      i += 2;
      continue;
    }
    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; the quote and backslash are handled above.
    if (!isQuotedPairChar(c)) return i;
    i++;
  }
  return -1;
}

/** HTAB / SP / VCHAR / obs-text. */
function isQuotedPairChar(c: number): boolean {
  return c === TAB || (c >= 0x20 && c <= 0xff && c !== 0x7f);
}
