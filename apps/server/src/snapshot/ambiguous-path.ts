/**
 * Percent-escapes in a request path that no two servers read alike (docs/security.md#routing-and-keys).
 * Routing compares the path with `%XX` kept (unreserved ones aside), so `/admin%00/x` is not under
 * `/admin`; but a C-based upstream stops reading at the NUL, IIS decodes `%u002e`, old decoders accept
 * overlong UTF-8 (`%c0%ae` for `.`) and Windows' "best fit" and NFKC read fullwidth `／` or `．` as ASCII.
 * Each of those reads the path as `/admin`, so the request would be judged by the catch-all API's rules
 * and served the protected one's resource. No plain path needs any of them, so they are refused outright.
 */

const HEX = /^[0-9a-f]{2}$/i;

/**
 * What makes `raw` (a request path, before `?`, visible ASCII) ambiguous, or undefined when nothing does:
 * a `%` that does not start a `%XX` escape (IIS `%uXXXX` included), an escaped control byte (`%00`–`%1f`,
 * `%7f`), escapes above `%7f` that are not well-formed UTF-8 (overlong forms, surrogates, stray or missing
 * continuation bytes), or an escaped character that Unicode compatibility mapping (NFKC) turns into ASCII.
 * Linear in the length of `raw`.
 *
 * @example
 * pathAmbiguity('/caf%C3%A9'); // undefined
 * pathAmbiguity('/admin%00/x'); // 'an escaped control byte (%00)'
 * pathAmbiguity('/%c0%ae%c0%ae/admin'); // 'escapes that are not well-formed UTF-8 (%c0%ae)'
 */
export function pathAmbiguity(raw: string): string | undefined {
  for (let i = raw.indexOf('%'); i !== -1; i = raw.indexOf('%', i)) {
    const lead = byteAt(raw, i);
    if (lead === undefined) {
      return `a % that does not start a %XX escape (${JSON.stringify(raw.slice(i, i + 6))}; IIS reads %uXXXX)`;
    }
    if (lead < 0x20 || lead === 0x7f) return `an escaped control byte (${raw.slice(i, i + 3)})`;
    if (lead < 0x80) {
      i += 3;
      continue;
    }
    const end = utf8SequenceEnd(raw, i, lead);
    if (typeof end === 'string') return `escapes that are not well-formed UTF-8 (${end})`;
    const text = decodeURIComponent(raw.slice(i, end));
    if (/[\u0000-\u007f]/.test(text.normalize('NFKC'))) {
      return `an escaped character that servers may read as ASCII (${raw.slice(i, end)}, "${text}")`;
    }
    i = end;
  }
  return undefined;
}

/** The byte of the `%XX` escape at `i`, or undefined when there is none. */
function byteAt(raw: string, i: number): number | undefined {
  if (raw.charCodeAt(i) !== 0x25) return undefined;
  const hex = raw.slice(i + 1, i + 3);
  return HEX.test(hex) ? Number.parseInt(hex, 16) : undefined;
}

/**
 * The end of the UTF-8 sequence whose lead byte `lead` is escaped at `i`, or the offending escapes.
 * The second-byte ranges are RFC 3629's: they exclude overlong forms, surrogates and code points
 * above U+10FFFF.
 */
function utf8SequenceEnd(raw: string, i: number, lead: number): number | string {
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else {
    return raw.slice(i, i + 6);
  }
  for (let k = 1; k < length; k++) {
    const b = byteAt(raw, i + 3 * k);
    if (b === undefined || b < (k === 1 ? low : 0x80) || b > (k === 1 ? high : 0xbf)) {
      return raw.slice(i, i + 3 * (k + 1));
    }
  }
  return i + 3 * length;
}

/**
 * The path as Windows (IIS, and Java servers on Windows file systems) reads its segments: trailing dots
 * and spaces dropped, so `/admin.`, `/admin%20` and `/admin.%20./x` name `/admin`. Expects a path in
 * which every escape is already decoded (lenientPath's reading). Returns `path` itself when nothing changes.
 *
 * @example
 * windowsPath('/admin. /x'); // '/admin/x'
 * windowsPath('/a/ ./b'); // '/a/b'
 * windowsPath('/v1/users'); // '/v1/users'
 */
export function windowsPath(path: string): string {
  if (!/[. ](?:\/|$)/.test(path)) return path;
  // By hand, not by regex: a backtracking regex is quadratic on a long run of dots not followed by `/`.
  const segments = path.split('/').map((segment) => {
    let end = segment.length;
    while (end > 0 && (segment[end - 1] === '.' || segment[end - 1] === ' ')) end--;
    return segment.slice(0, end);
  });
  return segments.join('/').replace(/\/{2,}/g, '/');
}
