import { IpGateError } from '../errors/ip-gate-error.js';
import { canonicalRuleHost } from './rule-host.js';
import { defaultPort, isWebScheme, type WebScheme } from './scheme.js';

/**
 * One allowed browser origin pattern (docs/architecture/domains.md#domain-rules), parsed and canonical.
 *
 * @example
 * const rule: DomainRule = parseDomainRule('HTTPS://*.Example.com:443/');
 * rule.canonical; // 'https://*.example.com'
 */
export interface DomainRule {
  /** The text as written. */
  readonly input: string;
  /** `[scheme://][*.]host[:port]`, lower case, punycode, default port dropped. Parsing it again gives itself. */
  readonly canonical: string;
  /** Undefined: both http and https. */
  readonly scheme: WebScheme | undefined;
  /** Lower-case punycode without the `*.`; an IPv6 host keeps its brackets, as in `URL.hostname`. */
  readonly host: string;
  /** True for `*.host`: any strict subdomain of `host`, at a label boundary. */
  readonly wildcard: boolean;
  /** Undefined: the scheme's default port (80 for http, 443 for https). */
  readonly port: number | undefined;
}

const PORT = /^[1-9][0-9]{0,4}$/;
const SCHEME_PREFIX = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const LIST_OR_SPACE = /[\s,;]/;
const AUTHORITY_END = /[/?#\\]/;
// Schemes people paste that are not http(s); anything else before a colon is read as host:port.
const OTHER_SCHEMES = new Set([
  'ws',
  'wss',
  'ftp',
  'file',
  'mailto',
  'data',
  'javascript',
  'blob',
  'about',
  'chrome-extension',
  'moz-extension',
  'safari-web-extension',
]);

/**
 * Parses one domain rule, or throws an `IpGateError` that says what is wrong and, in `hint`, how to
 * write it right.
 *
 * Accepts `example.com`, `*.example.com`, `https://example.com`, `http://localhost:3000`,
 * `https://*.example.com:8443`, IDN (`bücher.example`), strict IPv4 and bracketed IPv6 hosts, and one
 * trailing `/`. Surrounding whitespace is ignored, as for address entries.
 *
 * @example
 * parseDomainRule('https://a.com:443').canonical; // 'https://a.com'
 * parseDomainRule('bücher.example').host; // 'xn--bcher-kva.example'
 * parseDomainRule('https://a.com/app'); // throws IPG_DOMAIN_HAS_PATH, hint 'Write https://a.com …'
 */
export function parseDomainRule(text: string): DomainRule {
  if (typeof text !== 'string') {
    throw new IpGateError('IPG_DOMAIN_INVALID', 'A domain rule must be text.', {
      hint: 'Pass the rule as a string, like "*.example.com".',
    });
  }
  const t = text.trim();
  if (t === '') {
    throw new IpGateError('IPG_DOMAIN_EMPTY', 'The domain rule is empty.', {
      hint: 'Write a domain such as example.com, *.example.com or https://app.example.com:8443.',
      input: text,
    });
  }
  if (LIST_OR_SPACE.test(t)) throw listError(text, t);
  if (t.startsWith('/')) {
    const rest = t.replace(/^\/+/, '');
    throw new IpGateError(
      'IPG_DOMAIN_INVALID',
      `${JSON.stringify(text)} starts with "/"; a domain rule starts with the host.`,
      {
        hint: rest === '' ? 'Write a host such as example.com.' : `Write ${rest} or https://${rest}.`,
        input: text,
      },
    );
  }
  const { scheme, rest } = splitScheme(text, t);
  const end = rest.search(AUTHORITY_END);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  const rule = parseAuthority(text, scheme, authority);
  // A lone trailing slash is what copying from the address bar adds; it names no path.
  if (tail !== '' && tail !== '/') {
    throw new IpGateError(
      'IPG_DOMAIN_HAS_PATH',
      `${JSON.stringify(text)} has ${describeTail(tail)} after the host; a domain rule names an origin only.`,
      { hint: `Write ${rule.canonical}: browsers send only the origin, never the path.`, input: text },
    );
  }
  return rule;
}

/**
 * Like {@link parseDomainRule}, but returns the error instead of throwing it.
 *
 * @example
 * const r = tryParseDomainRule('*.com');
 * if (!r.ok) console.log(r.error.code); // 'IPG_DOMAIN_WILDCARD'
 */
export function tryParseDomainRule(
  text: string,
): { ok: true; rule: DomainRule } | { ok: false; error: IpGateError } {
  try {
    return { ok: true, rule: parseDomainRule(text) };
  } catch (error) {
    if (error instanceof IpGateError) return { ok: false, error };
    throw error;
  }
}

/**
 * The canonical text of a rule's parts: `[scheme://][*.]host[:port]`.
 *
 * @example
 * formatDomainRule({ scheme: 'https', wildcard: true, host: 'example.com', port: 8443 }); // 'https://*.example.com:8443'
 */
export function formatDomainRule(rule: Pick<DomainRule, 'scheme' | 'wildcard' | 'host' | 'port'>): string {
  return (
    (rule.scheme === undefined ? '' : `${rule.scheme}://`) +
    (rule.wildcard ? '*.' : '') +
    rule.host +
    (rule.port === undefined ? '' : `:${rule.port}`)
  );
}

function splitScheme(text: string, t: string): { scheme: WebScheme | undefined; rest: string } {
  const m = SCHEME_PREFIX.exec(t);
  if (m === null) return { scheme: undefined, rest: t };
  const name = (m[1] as string).toLowerCase();
  const after = t.slice(m[0].length);
  const slashed = after.startsWith('/') || after.startsWith('\\');
  if (!slashed && !OTHER_SCHEMES.has(name) && !isWebScheme(name)) {
    // `localhost:3000`, `example.com:abc`: a host and a port, which parseAuthority judges.
    return { scheme: undefined, rest: t };
  }
  if (!isWebScheme(name)) {
    throw new IpGateError(
      'IPG_DOMAIN_SCHEME',
      `${JSON.stringify(text)} uses the scheme ${name}:, but only http and https origins can be allowed.`,
      { hint: 'Write the web origin that calls the API, like https://app.example.com.', input: text },
    );
  }
  if (!after.startsWith('//') || after.startsWith('///')) {
    const host = after.replace(/^[/\\]+/, '');
    throw new IpGateError(
      'IPG_DOMAIN_INVALID',
      `${JSON.stringify(text)} does not have "//" right after "${name}:".`,
      {
        hint: `Write ${name}://${host === '' ? 'example.com' : host}.`,
        input: text,
      },
    );
  }
  return { scheme: name, rest: after.slice(2) };
}

function parseAuthority(text: string, scheme: WebScheme | undefined, authority: string): DomainRule {
  const shown = JSON.stringify(text);
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const host = authority.slice(at + 1);
    const suggestion = host === '' ? undefined : tryFormat(scheme, host);
    throw new IpGateError(
      'IPG_DOMAIN_HAS_PATH',
      `${shown} has a user name before the host ("${authority.slice(0, at + 1)}").`,
      {
        hint:
          suggestion === undefined
            ? 'A domain rule names the host only, like https://app.example.com.'
            : `The host here is the part after "@"; if that is the site, write ${suggestion}.`,
        input: text,
      },
    );
  }
  let wildcard = false;
  let hostAndPort = authority;
  if (authority.startsWith('*.')) {
    wildcard = true;
    hostAndPort = authority.slice(2);
  }
  const { hostText, portText } = splitPort(text, hostAndPort);
  if (wildcard || hostText.includes('*')) checkWildcardPlacement(text, wildcard, hostText);
  const port = portText === undefined ? undefined : parsePort(text, portText);
  const { host, kind } = canonicalRuleHost(hostText, text);
  if (wildcard) {
    if (kind !== 'domain') {
      throw new IpGateError('IPG_DOMAIN_WILDCARD', `${shown} puts a wildcard over the IP address ${host}.`, {
        hint: `A wildcard stands for subdomain labels; write the address alone: ${formatDomainRule({ scheme, wildcard: false, host, port })}.`,
        input: text,
      });
    }
    if (!host.includes('.')) {
      // Without a public suffix list this is the line we can hold: *.com or *.localhost would allow
      // every site under one top-level name.
      throw new IpGateError('IPG_DOMAIN_WILDCARD', `${shown} would allow every site under "${host}".`, {
        hint: `Put the wildcard over a domain you own, like *.example.${host}; write a single-label host such as localhost without *.`,
        input: text,
      });
    }
  }
  const effectivePort = scheme !== undefined && port === defaultPort(scheme) ? undefined : port;
  const parts = { scheme, wildcard, host, port: effectivePort };
  return { input: text, canonical: formatDomainRule(parts), ...parts };
}

function tryFormat(scheme: WebScheme | undefined, authority: string): string | undefined {
  try {
    return parseAuthority(authority, scheme, authority).canonical;
  } catch {
    return undefined;
  }
}

function splitPort(text: string, hostAndPort: string): { hostText: string; portText: string | undefined } {
  if (hostAndPort.startsWith('[')) {
    const close = hostAndPort.indexOf(']');
    if (close < 0) {
      throw new IpGateError('IPG_DOMAIN_INVALID', `${JSON.stringify(text)} opens "[" but never closes it.`, {
        hint: 'Write an IPv6 host in brackets: http://[2001:db8::1]:8080.',
        input: text,
      });
    }
    const after = hostAndPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) {
      throw new IpGateError(
        'IPG_DOMAIN_INVALID',
        `${JSON.stringify(text)} has text after the "]" of the IPv6 host.`,
        {
          hint: 'After the bracketed address only a port may follow: http://[2001:db8::1]:8080.',
          input: text,
        },
      );
    }
    return { hostText: hostAndPort.slice(0, close + 1), portText: after === '' ? undefined : after.slice(1) };
  }
  const colon = hostAndPort.indexOf(':');
  if (colon < 0) return { hostText: hostAndPort, portText: undefined };
  if (hostAndPort.indexOf(':', colon + 1) >= 0) {
    throw new IpGateError(
      'IPG_DOMAIN_INVALID',
      `${JSON.stringify(text)} has more than one ":" in the host.`,
      {
        hint: `An IPv6 host goes in brackets, as in URLs: http://[${hostAndPort}].`,
        input: text,
      },
    );
  }
  return { hostText: hostAndPort.slice(0, colon), portText: hostAndPort.slice(colon + 1) };
}

function checkWildcardPlacement(text: string, leading: boolean, host: string): void {
  const shown = JSON.stringify(text);
  const base = host.slice(host.lastIndexOf('*') + 1).replace(/^\.+/, '');
  if (leading && host === '') {
    throw new IpGateError('IPG_DOMAIN_WILDCARD', `${shown} has a wildcard over nothing.`, {
      hint: 'Write the domain after the wildcard: *.example.com.',
      input: text,
    });
  }
  if (!leading && host === '*') {
    throw new IpGateError('IPG_DOMAIN_WILDCARD', `${shown} would allow every site.`, {
      hint: 'Write *.example.com to allow the subdomains of one domain, or list each origin.',
      input: text,
    });
  }
  if (!leading && host.startsWith('*') && host.lastIndexOf('*') === 0) {
    throw new IpGateError('IPG_DOMAIN_WILDCARD', `${shown} has a wildcard that is not a whole label.`, {
      hint:
        base === ''
          ? 'Write *.example.com to allow the subdomains of one domain.'
          : `Write *.${base} for its subdomains, or ${base} for the host itself; "*" never matches part of a label.`,
      input: text,
    });
  }
  if (host.includes('*')) {
    throw new IpGateError(
      'IPG_DOMAIN_WILDCARD',
      `${shown} has a wildcard that is not the whole leftmost label.`,
      {
        hint:
          base === ''
            ? 'Write *.example.com to allow the subdomains of one domain.'
            : `Write *.${base}; it matches subdomains at every depth (a.${base}, a.b.${base}).`,
        input: text,
      },
    );
  }
}

function parsePort(text: string, port: string): number {
  const shown = JSON.stringify(text);
  const hint = 'A port is a number from 1 to 65535 without leading zeros, like example.com:8443.';
  if (PORT.test(port)) {
    const value = Number(port);
    if (value <= 65535) return value;
    throw new IpGateError('IPG_DOMAIN_PORT_INVALID', `${shown} has the port ${port}, above 65535.`, {
      hint,
      input: text,
    });
  }
  const reason =
    port === ''
      ? 'has ":" but no port after it'
      : /^0+$/.test(port)
        ? 'has the port 0, which no server listens on'
        : /^[0-9]+$/.test(port)
          ? `has the port ${port} with a leading zero`
          : `has the port ${JSON.stringify(port)}, which is not a number`;
  throw new IpGateError('IPG_DOMAIN_PORT_INVALID', `${shown} ${reason}.`, { hint, input: text });
}

function listError(text: string, t: string): IpGateError {
  const parts = t.split(/[\s,;]+/).filter((p) => p !== '');
  const shown = JSON.stringify(text);
  if (parts.length > 1 && /[,;]/.test(t)) {
    return new IpGateError('IPG_DOMAIN_INVALID', `${shown} holds ${parts.length} domains in one rule.`, {
      hint: `Add each domain as its own rule: ${parts.slice(0, 3).join(' and ')}.`,
      input: text,
    });
  }
  if (parts.length > 1) {
    return new IpGateError('IPG_DOMAIN_INVALID', `${shown} has a space inside; a rule names one domain.`, {
      hint: `Remove the space, or if these are several domains, add each as its own rule: ${parts.slice(0, 3).join(' and ')}.`,
      input: text,
    });
  }
  return new IpGateError('IPG_DOMAIN_INVALID', `${shown} has a comma or semicolon in it.`, {
    hint: `A domain rule has no separators${parts[0] === undefined ? '' : `: write ${parts[0]}`}.`,
    input: text,
  });
}

function describeTail(tail: string): string {
  if (tail.startsWith('?')) return 'a query';
  if (tail.startsWith('#')) return 'a fragment';
  if (tail.startsWith('\\')) return 'a backslash (browsers read it as "/")';
  return `the path ${JSON.stringify(tail)}`;
}
