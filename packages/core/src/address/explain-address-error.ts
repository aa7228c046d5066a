import { IpGateError } from '../errors/ip-gate-error.js';

/**
 * Words the error for text that the strict scanners rejected.
 *
 * Only called after a rejection, so it decides the message, never whether an address is accepted.
 */

// What inet_aton / WHATWG URL would still take as IPv4: one to four decimal, octal or hex parts.
const LOOSE_IPV4 = /^(?:0[xX][0-9a-fA-F]*|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]*|[0-9]+)){0,3}\.?$/;
const FOUR_DECIMAL_PARTS = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;

/**
 * Builds the {@link IpGateError} for a rejected address.
 *
 * @example
 * explainAddressError('010.0.0.1').code; // 'IPG_ADDRESS_AMBIGUOUS_IPV4'
 */
export function explainAddressError(text: string, field?: string): IpGateError {
  const where = field === undefined ? {} : { field };
  const shown = JSON.stringify(text);
  if (text.trim() === '') {
    return new IpGateError('IPG_ADDRESS_EMPTY', 'No address was given.', {
      hint: 'Write an IPv4 address like 192.0.2.10 or an IPv6 address like 2001:db8::10.',
      input: text,
      ...where,
    });
  }
  if (text !== text.trim()) {
    return new IpGateError('IPG_ADDRESS_INVALID', `${shown} has spaces around the address.`, {
      hint: `Write ${JSON.stringify(text.trim())} without the surrounding spaces.`,
      input: text,
      ...where,
    });
  }
  if (text.includes(':')) return explainIPv6(text, shown, where);
  if (FOUR_DECIMAL_PARTS.test(text)) {
    const parts = text.split('.');
    const leading = parts.find((p) => p.length > 1 && p.startsWith('0'));
    if (leading !== undefined) {
      const fixed = parts.map((p) => String(Number.parseInt(p, 10))).join('.');
      return new IpGateError(
        'IPG_ADDRESS_AMBIGUOUS_IPV4',
        `${shown} has a leading zero in ${JSON.stringify(leading)}; many systems read such parts as octal, so it could mean another address.`,
        { hint: `If you mean the decimal address, write ${fixed}.`, input: text, ...where },
      );
    }
    const big = parts.find((p) => Number(p) > 255);
    return new IpGateError('IPG_ADDRESS_OUT_OF_RANGE', `${shown} has the part ${big ?? '?'}, above 255.`, {
      hint: 'Each of the four parts of an IPv4 address is a number from 0 to 255.',
      input: text,
      ...where,
    });
  }
  if (LOOSE_IPV4.test(text)) {
    return new IpGateError(
      'IPG_ADDRESS_AMBIGUOUS_IPV4',
      `${shown} is a shortened, integer, hex or octal IPv4 form; other software reads it as a different address than it seems.`,
      { hint: 'Write all four parts in plain decimal, like 192.0.2.10.', input: text, ...where },
    );
  }
  return new IpGateError('IPG_ADDRESS_INVALID', `${shown} is not an IPv4 or IPv6 address.`, {
    hint: 'Write an IPv4 address like 192.0.2.10 or an IPv6 address like 2001:db8::10.',
    input: text,
    ...where,
  });
}

function explainIPv6(text: string, shown: string, where: { field?: string }): IpGateError {
  const percent = text.indexOf('%');
  if (percent >= 0) {
    return new IpGateError(
      'IPG_ADDRESS_ZONE',
      `${shown} carries the zone identifier ${text.slice(percent)}.`,
      {
        hint: `Zones only mean something on one host; write the address without it: ${text.slice(0, percent)}.`,
        input: text,
        ...where,
      },
    );
  }
  if (text.startsWith('[') || text.endsWith(']')) {
    return new IpGateError('IPG_ADDRESS_INVALID', `${shown} has brackets around the address.`, {
      hint: `Write the address without brackets: ${text.replace(/^\[|\]$/g, '')}.`,
      input: text,
      ...where,
    });
  }
  const longGroup = text.split(/[:.]/).find((g) => g.length > 4 && /^[0-9a-fA-F]+$/.test(g));
  if (longGroup !== undefined && !text.includes('.')) {
    return new IpGateError(
      'IPG_ADDRESS_OUT_OF_RANGE',
      `${shown} has the group ${longGroup}, longer than four hex digits.`,
      {
        hint: 'Each IPv6 group is one to four hex digits (0 to ffff).',
        input: text,
        ...where,
      },
    );
  }
  const reason =
    text.split('::').length > 2
      ? '"::" may appear only once'
      : /[^0-9a-fA-F:.]/.test(text)
        ? 'it contains characters other than hex digits, colons and an optional trailing dotted quad'
        : 'it does not have eight groups (or fewer with one "::")';
  return new IpGateError('IPG_ADDRESS_INVALID', `${shown} is not an IPv6 address: ${reason}.`, {
    hint: 'Write an IPv6 address like 2001:db8::10, or with an IPv4 tail like ::ffff:192.0.2.10.',
    input: text,
    ...where,
  });
}
