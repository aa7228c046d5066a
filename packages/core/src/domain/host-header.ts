import { IpAddress } from '../address/ip-address.js';

/** A `Host` header that {@link parseHostHeader} accepted. */
export interface HostHeader {
  /** Lower case, without a trailing dot; an IPv6 literal in brackets, canonical (`[2001:db8::1]`). */
  readonly name: string;
  /** Undefined when the header named none. */
  readonly port: number | undefined;
  /** `name`, and `:port` when there is one: the host as ipgate routes on it and tells the upstream. */
  readonly text: string;
}

// One DNS label: letters, digits, hyphen, and underscore (which service names and some internal hosts
// use); no percent-encoding, no other sub-delims (`,` `;` `!` `$` `&` `'` `(` `)` `*` `+` `=`), which
// RFC 3986's reg-name would allow but no resolver reads as part of a name — and frameworks cut the
// header at them in different places (Express reads `a.example,x` as `a.example`).
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const PORT = /^[1-9][0-9]{0,4}$/;
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)$/;

/**
 * Reads a `Host` header strictly: a DNS name, a dotted IPv4 address or a bracketed IPv6 address,
 * optionally `:port` (1–65535, no leading zero). Anything else is null — `a.example,x`,
 * `user@a.example`, `a.example/`, `a.example\`, `a.example:`, `127.1`, `[fe80::1%eth0]`, a space — so
 * routing and the software behind ipgate can never read one header as two different hosts
 * (docs/architecture/pipeline.md#2-route). An empty header (allowed by RFC 9112 when the target has
 * no authority) is `undefined`, as is no header.
 *
 * @example
 * parseHostHeader('API.Example.com.:8443'); // { name: 'api.example.com', port: 8443, text: 'api.example.com:8443' }
 * parseHostHeader('[::1]'); // { name: '[::1]', port: undefined, text: '[::1]' }
 * parseHostHeader('secure.example,x'); // null
 */
export function parseHostHeader(value: string): HostHeader | null | undefined {
  if (value === '') return undefined;
  if (value.length > 300) return null;
  let nameText: string;
  let portText: string | undefined;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) return null;
    nameText = value.slice(0, close + 1);
    const rest = value.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = value.indexOf(':');
    nameText = colon === -1 ? value : value.slice(0, colon);
    portText = colon === -1 ? undefined : value.slice(colon + 1);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!PORT.test(portText)) return null;
    port = Number(portText);
    if (port > 65535) return null;
  }
  const name = hostName(nameText);
  if (name === null) return null;
  return { name, port, text: port === undefined ? name : `${name}:${port}` };
}

function hostName(text: string): string | null {
  if (text.startsWith('[')) {
    const inner = text.slice(1, -1);
    // IPvFuture (`[v1.x]`) and zone ids are not addresses anyone routes on.
    const address = inner.includes(':') ? IpAddress.tryParse(inner) : undefined;
    return address === undefined || address.family !== 6 ? null : `[${address.toString()}]`;
  }
  const lower = text.toLowerCase();
  const name = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (name === '' || name.length > 253) return null;
  // A numeric last label makes it an IPv4 address for resolvers and URL parsers (`127.1`, `0x7f.1`):
  // only the strict dotted form is accepted, so the two can never disagree.
  if (NUMERIC_LAST_LABEL.test(name)) {
    const address = IpAddress.tryParse(name);
    return address === undefined || address.family !== 4 || lower !== name ? null : address.toString();
  }
  for (const label of name.split('.')) if (!LABEL.test(label)) return null;
  return name;
}
