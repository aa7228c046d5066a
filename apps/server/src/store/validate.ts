import {
  type DomainRule,
  type Entry,
  IpGateError,
  isIpGateError,
  parseDomainRule,
  parseEntry,
} from '@ipgate/core';
import { invalid } from './errors.js';

const MAX_TEXT = 200;

/**
 * A name or label: text of at most 200 characters, trimmed; empty only when `allowEmpty`.
 * Input comes from JSON bodies, so types are checked at run time too.
 *
 * @example
 * text('  Acme ', 'name'); // 'Acme'
 */
export function text(value: unknown, field: string, options: { allowEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw textInvalid(field, `${field} must be text.`);
  const t = value.trim();
  if (t === '' && options.allowEmpty !== true) throw textInvalid(field, `${field} must not be empty.`);
  if (t.length > MAX_TEXT) throw invalid(field, `${field} is longer than ${MAX_TEXT} characters.`);
  const bad = UNPRINTABLE.exec(t);
  if (bad !== null) {
    const code = (bad[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
    throw textInvalid(
      field,
      `${field} holds U+${code} at position ${bad.index + 1}: control and bidirectional-override characters are not accepted.`,
    );
  }
  return t;
}

// Control characters (C0, DEL, C1) and the line/paragraph separators change where a printed name
// ends (log lines, terminal escape sequences); bidirectional marks, embeddings, overrides and isolates
// change how it reads (`U+202E` shows `exe.txt` for `txt.exe`). Names are printed in logs, the CLI,
// the console and emails, so they are refused here, once, rather than escaped in every place.
const UNPRINTABLE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]/u;

function textInvalid(field: string, message: string): IpGateError {
  return new IpGateError('IPG_TEXT_INVALID', message, {
    field,
    hint: 'Write it as plain text: no control characters, no bidirectional marks or overrides.',
  });
}

/**
 * One of a fixed set of words.
 *
 * @example
 * oneOf('auto', 'ipMode', ['off', 'manual', 'auto'] as const); // 'auto'
 */
export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(field, `${field} must be one of ${allowed.join(', ')}.`);
  }
  return value as T;
}

/**
 * A list limit: a whole number from 0 to 1,000,000.
 *
 * @example
 * limit(5, 'keyIpLimit'); // 5
 */
export function limit(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1_000_000) {
    throw invalid(field, `${field} must be a whole number from 0 to 1000000.`);
  }
  return value;
}

/**
 * A true/false switch.
 *
 * @example
 * bool(true, 'enabled'); // true
 */
export function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(field, `${field} must be true or false.`);
  return value;
}

/**
 * A time or null; an invalid `Date` is refused.
 *
 * @example
 * dateOrNull(new Date('2030-01-01'), 'expiresAt')?.toISOString(); // '2030-01-01T00:00:00.000Z'
 */
export function dateOrNull(value: unknown, field: string): Date | null {
  if (value === null) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalid(field, `${field} must be a valid time or null.`);
  }
  return value;
}

/**
 * An expected version: a whole number from 1, or absent.
 *
 * @example
 * expectedVersion(3); // 3
 */
export function expectedVersion(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid('version', 'The expected version must be a whole number from 1.');
  }
  return value;
}

/**
 * The actor of a change: required, so every audit event names someone.
 *
 * @example
 * actor('user:alice'); // 'user:alice'
 */
export function actor(value: unknown): string {
  return text(value, 'actor');
}

/**
 * An IP entry in any form of docs/architecture/entries.md#forms, parsed by core; errors carry `field:
 * 'value'`.
 *
 * @example
 * ipEntry('10.0.0.0/255.0.0.0').canonical; // '10.0.0.0/8'
 */
export function ipEntry(value: unknown): Entry {
  if (typeof value !== 'string') {
    throw new IpGateError('IPG_ENTRY_INVALID', 'An entry must be text.', { field: 'value' });
  }
  return withField(() => parseEntry(value));
}

/**
 * A domain rule (docs/architecture/domains.md#domain-rules), parsed by core; errors carry `field: 'value'`.
 *
 * @example
 * domainRule('HTTPS://*.Example.com').canonical; // 'https://*.example.com'
 */
export function domainRule(value: unknown): DomainRule {
  if (typeof value !== 'string') {
    throw new IpGateError('IPG_DOMAIN_INVALID', 'A domain rule must be text.', { field: 'value' });
  }
  return withField(() => parseDomainRule(value));
}

function withField<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw isIpGateError(e) ? e.withContext({ field: 'value' }) : e;
  }
}
