import { explainAddressError } from '../address/explain-address-error.js';
import { IpAddress } from '../address/ip-address.js';
import { scanIPv4 } from '../address/ipv4.js';
import { IpGateError } from '../errors/ip-gate-error.js';
import { WebURL } from './web-url.js';

/**
 * What kind of host a rule names; wildcards only make sense over domain names.
 *
 * @example
 * const kind: RuleHostKind = canonicalRuleHost('192.0.2.1', '192.0.2.1').kind; // 'ipv4'
 */
export type RuleHostKind = 'domain' | 'ipv4' | 'ipv6';

/**
 * A host as browsers serialise it in an origin: lower case, punycode, IPv6 bracketed and compressed.
 *
 * @example
 * const h: RuleHost = { host: 'xn--bcher-kva.example', kind: 'domain' };
 */
export interface RuleHost {
  readonly host: string;
  readonly kind: RuleHostKind;
}

// DNS limits (RFC 1035), counted on the punycode form because that is what resolvers see.
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

// Underscore is outside RFC 952 but browsers resolve and serialise such hosts; refusing it would only
// push people to a broader wildcard.
const ASCII_HOST_CHAR = /^[A-Za-z0-9._-]$/;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
// WHATWG URL reads a host whose last label looks like a number as IPv4 (host parser, "ends in a number").
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Canonicalises the host part of a domain rule (without `*.` and port), or throws
 * `IPG_DOMAIN_INVALID` saying what is wrong.
 *
 * The result is exactly what `new URL(...).hostname` gives for the same host, so that rules compare
 * with parsed `Origin` headers as plain strings; but unlike `URL` it refuses every form that a
 * browser would silently reinterpret (`127.1`, `0x7f.0.0.1`, `010.0.0.1`).
 *
 * @param input the whole rule as written, for the error.
 * @example
 * canonicalRuleHost('Bücher.example', 'Bücher.example'); // { host: 'xn--bcher-kva.example', kind: 'domain' }
 * canonicalRuleHost('[2001:DB8:0::1]', '[2001:DB8:0::1]'); // { host: '[2001:db8::1]', kind: 'ipv6' }
 * canonicalRuleHost('127.1', '127.1'); // throws IPG_DOMAIN_INVALID
 */
export function canonicalRuleHost(text: string, input: string): RuleHost {
  if (text === '') {
    throw invalid(input, `${JSON.stringify(input)} has no host.`, 'Write a host such as example.com.');
  }
  if (text.startsWith('[')) return ipv6Host(text, input);
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80 && !ASCII_HOST_CHAR.test(ch)) {
      throw invalid(
        input,
        `${JSON.stringify(input)} has the character ${JSON.stringify(ch)}, which a host name cannot contain.`,
        'A host name has letters, digits, hyphens and dots, like app.example.com.',
      );
    }
  }
  const nonAscii = NON_ASCII.test(text);
  const host = nonAscii ? toPunycode(text, input) : text.toLowerCase();
  checkShape(host, text, input);
  const last = host.slice(host.lastIndexOf('.') + 1);
  if (NUMERIC_LABEL.test(last)) {
    if (!nonAscii && scanIPv4(host, 0, host.length) >= 0) return { host, kind: 'ipv4' };
    throw numericHostError(host, input, nonAscii);
  }
  // Catches what only an IDNA implementation knows, such as an xn-- label that is not valid punycode.
  if (urlHostname(host) !== host) {
    throw invalid(
      input,
      `${JSON.stringify(input)} is not a host name browsers accept${host === input ? '' : ` (${JSON.stringify(host)} in ASCII)`}.`,
      'Check the xn-- labels, or write the name in its own script (bücher.example) and let ipgate encode it.',
    );
  }
  return { host, kind: 'domain' };
}

/**
 * The hostname WHATWG `URL` gives for `host`, or undefined when it rejects it.
 *
 * Callers pass only text without `/ ? # @ :` outside brackets, so the host cannot leak into
 * other URL parts.
 *
 * @example
 * urlHostname('bücher.example'); // 'xn--bcher-kva.example'
 * urlHostname('127.1'); // '127.0.0.1'
 */
export function urlHostname(host: string): string | undefined {
  try {
    return new WebURL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

function toPunycode(text: string, input: string): string {
  const host = urlHostname(text);
  if (host === undefined) {
    const last = text.split(/[.\u3002\uff0e\uff61]/).pop() ?? '';
    if (NUMERIC_LABEL.test(last.toLowerCase())) throw numericHostError(text, input, false);
    throw invalid(
      input,
      `${JSON.stringify(input)} is not a valid internationalised domain name.`,
      'Check for mixed scripts, symbols or punctuation inside the name; write it as it appears in the address bar.',
    );
  }
  return host;
}

function checkShape(host: string, written: string, input: string): void {
  const shown = JSON.stringify(input);
  if (host.endsWith('.')) {
    const without = (written.endsWith('.') ? written : host).replace(/\.+$/, '');
    // Browsers keep the dot in the origin (https://example.com. is its own origin), so a rule that
    // silently dropped it would allow something else than it says.
    throw invalid(input, `${shown} ends with a dot.`, `Write ${without} without the final dot.`);
  }
  if (host.startsWith('.')) {
    const base = host.replace(/^\.+/, '');
    throw invalid(
      input,
      `${shown} starts with a dot.`,
      `Write *.${base} to allow its subdomains, or ${base} for the host itself.`,
    );
  }
  if (host.length > MAX_HOST_LENGTH) {
    throw invalid(
      input,
      `${shown} is ${host.length} characters long as a DNS name; the limit is ${MAX_HOST_LENGTH}.`,
      'Check that the text is one host name.',
    );
  }
  for (const label of host.split('.')) {
    if (label === '') {
      throw invalid(
        input,
        `${shown} has an empty label (two dots in a row).`,
        'Write one dot between labels: a.example.com.',
      );
    }
    if (label.length > MAX_LABEL_LENGTH) {
      throw invalid(
        input,
        `${shown} has a label of ${label.length} characters; the limit is ${MAX_LABEL_LENGTH}.`,
        'Each part between dots is at most 63 characters.',
      );
    }
    if (!LABEL.test(label)) {
      throw invalid(
        input,
        `${shown} has the label ${JSON.stringify(label)}, which starts or ends with a hyphen.`,
        'A label starts and ends with a letter or digit, like my-app.example.com.',
      );
    }
  }
}

function numericHostError(host: string, input: string, nonAscii: boolean): IpGateError {
  const shown = JSON.stringify(input);
  const read = urlHostname(host);
  if (nonAscii) {
    return invalid(
      input,
      `${shown} has characters that browsers read as the address ${read ?? host}.`,
      `Write the address in plain ASCII digits${read === undefined ? '' : `: ${read}`}.`,
    );
  }
  if (host.split('.').every((label) => NUMERIC_LABEL.test(label))) {
    const error = explainAddressError(host);
    const readAs = read === undefined || read === host ? '' : ` Browsers read it as ${read}.`;
    return invalid(
      input,
      error.message + readAs,
      read === undefined || read === host ? (error.hint ?? '') : `If you mean ${read}, write ${read}.`,
    );
  }
  return invalid(
    input,
    `${shown} ends in the numeric label ${JSON.stringify(host.slice(host.lastIndexOf('.') + 1))}, so browsers try to read it as an IPv4 address.`,
    'A host name ends in a label with a letter (example.com); an IPv4 host is four decimal numbers (192.0.2.1).',
  );
}

function ipv6Host(text: string, input: string): RuleHost {
  const inner = text.slice(1, -1);
  if (IpAddress.tryParse(inner) === undefined) {
    const error = explainAddressError(inner);
    const fix = error.hint === undefined ? '' : `${error.hint} `;
    throw invalid(
      input,
      error.message,
      `${fix}In a domain rule an IPv6 host keeps its brackets: [2001:db8::1].`,
    );
  }
  // URL, not RFC 5952, decides the text: browsers print ::ffff:192.0.2.1 as [::ffff:c000:201].
  const host = urlHostname(`[${inner}]`);
  if (host === undefined) {
    throw invalid(
      input,
      `${JSON.stringify(input)} has an IPv6 address browsers do not accept.`,
      'Write it like [2001:db8::1].',
    );
  }
  return { host, kind: 'ipv6' };
}

function invalid(input: string, message: string, hint: string): IpGateError {
  return new IpGateError('IPG_DOMAIN_INVALID', message, { hint, input });
}
