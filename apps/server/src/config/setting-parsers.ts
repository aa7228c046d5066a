/**
 * Parsers for the text forms of settings. Each throws an `Error` whose message completes the sentence
 * "<setting> is invalid: …"; the loader adds the setting's name and where it came from.
 */
import { IpAddress } from '@ipgate/core';
import type { LogLevel } from './settings.js';

/** A listener address. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * `127.0.0.1:8080`, `[::1]:8080`, `:8080` (all interfaces) or `localhost:8080`.
 *
 * @example
 * parseHostPort('[::1]:8081'); // { host: '::1', port: 8081 }
 */
export function parseHostPort(text: string): HostPort {
  const t = text.trim();
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  const plain = /^([^:[\]]*):(\d+)$/.exec(t);
  const m = bracketed ?? plain;
  if (m === null) {
    throw new Error(
      `${JSON.stringify(text)} is not host:port; write e.g. 127.0.0.1:8080, [::1]:8080 or :8080`,
    );
  }
  const host = m[1] === '' ? '0.0.0.0' : (m[1] as string);
  if (bracketed !== null && IpAddress.tryParse(host)?.family !== 6) {
    throw new Error(`[${host}] is not an IPv6 address; only IPv6 addresses go in brackets`);
  }
  return { host, port: parseInteger(m[2] as string, 0, 65535) };
}

/**
 * The text form {@link parseHostPort} reads, IPv6 hosts in brackets: for messages and URLs.
 *
 * @example
 * formatHostPort({ host: '::1', port: 8081 }); // '[::1]:8081'
 */
export function formatHostPort(at: HostPort): string {
  return `${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}`;
}

/**
 * A whole number in [min, max], written plainly.
 *
 * @example
 * parseInteger('8080', 0, 65535); // 8080
 */
export function parseInteger(text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`${JSON.stringify(text)} is not a whole number`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new Error(`${n} is outside ${min}–${max}`);
  return n;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration with a unit (`500ms`, `30s`, `5m`, `12h`, `30d`), in milliseconds, within [min, max].
 *
 * @example
 * parseDuration('30s', 1, 60_000); // 30000
 */
export function parseDuration(text: string, min: number, max: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (m === null) {
    throw new Error(
      `${JSON.stringify(text)} is not a duration; write a number with a unit: 500ms, 30s, 5m, 12h, 30d`,
    );
  }
  const ms = Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
  if (ms < min || ms > max) throw new Error(`${text} is outside ${formatMs(min)}–${formatMs(max)}`);
  return ms;
}

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A comma-separated list; blanks around items are dropped, empty items are refused.
 *
 * @example
 * parseList('10.0.0.0/8, 192.0.2.1'); // ['10.0.0.0/8', '192.0.2.1']
 */
export function parseList(text: string): string[] {
  if (text.trim() === '') return [];
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new Error(`${JSON.stringify(text)} has an empty item between commas`);
  return items;
}

/**
 * `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
 *
 * @example
 * parseBoolean('on'); // true
 */
export function parseBoolean(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(t)) return true;
  if (['false', '0', 'no', 'off'].includes(t)) return false;
  throw new Error(`${JSON.stringify(text)} is not true/false (also 1/0, yes/no, on/off)`);
}

/**
 * One of a fixed set of words.
 *
 * @example
 * oneOf('forwarded', ['x-forwarded-for', 'forwarded'] as const); // 'forwarded'
 */
export function oneOf<T extends string>(text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new Error(`${JSON.stringify(text)} is not one of ${allowed.join(', ')}`);
}

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A pino log level.
 *
 * @example
 * parseLogLevel('debug'); // 'debug'
 */
export function parseLogLevel(text: string): LogLevel {
  return oneOf(text.trim().toLowerCase(), LEVELS);
}
