import { IpGateError } from '@ipgate/core';

/**
 * The weights and thresholds of the assessment (docs/architecture/review.md#the-assessment). Every
 * one is a setting (`--review`); the defaults trust an unknown address on the strength of an
 * authorized neighbour in the same /24 (IPv4) or /48 (IPv6), and of nothing weaker.
 */
export interface ReviewSettings {
  /** Points when the address is in the same /24 (IPv4) or /48 (IPv6) as a listed address. */
  readonly sameNetwork: number;
  /** Points when its network operator (ASN) runs a listed address too; not counted for hosting ASNs. */
  readonly sameAsn: number;
  /** Points when its country is that of a listed address. */
  readonly sameCountry: number;
  /** Points (usually negative) when it is in a hosting or cloud network, where anyone can rent a neighbour. */
  readonly hostingNetwork: number;
  /** Points (usually negative) when it failed authentication `authFailureLimit` times within the hour. */
  readonly authFailures: number;
  /** Points for a key's first address while the tenant's list is empty; only when `learnFirstAddress`. */
  readonly firstAddress: number;
  /** A score at or above this trusts the address (unless a factor holds it). */
  readonly trustScore: number;
  /** New addresses on one key within an hour at which all of them are held. */
  readonly burstLimit: number;
  /** Authentication failures from the address within an hour at which `authFailures` counts. */
  readonly authFailureLimit: number;
  /** The learning rule: trust the first address while nothing is listed. Off by default. */
  readonly learnFirstAddress: boolean;
}

/** The defaults, documented in docs/review.md#factors-and-defaults. */
export const defaultReviewSettings: ReviewSettings = Object.freeze({
  sameNetwork: 60,
  sameAsn: 30,
  sameCountry: 10,
  hostingNetwork: -30,
  authFailures: -60,
  firstAddress: 100,
  trustScore: 50,
  burstLimit: 5,
  authFailureLimit: 3,
  learnFirstAddress: false,
});

const WEIGHTS = [
  'sameNetwork',
  'sameAsn',
  'sameCountry',
  'hostingNetwork',
  'authFailures',
  'firstAddress',
] as const;
const COUNTS = ['trustScore', 'burstLimit', 'authFailureLimit'] as const;
const NAMES: readonly string[] = [...WEIGHTS, ...COUNTS, 'learnFirstAddress'];

/**
 * Reads review settings from `name=value,…` text (a flag or variable) or an object (a config file),
 * over the defaults. A bad name or value is an `IPG_CONFIG_INVALID` naming it.
 *
 * @example
 * parseReviewSettings('sameNetwork=70,burstLimit=3').burstLimit; // 3
 * parseReviewSettings({ learnFirstAddress: true }).learnFirstAddress; // true
 */
export function parseReviewSettings(input: string | Readonly<Record<string, unknown>>): ReviewSettings {
  const pairs: [string, unknown][] =
    typeof input === 'string'
      ? input
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== '')
          .map((p) => {
            const at = p.indexOf('=');
            if (at < 0) throw bad(p, `"${p}" is not name=value.`);
            return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
          })
      : typeof input === 'object' && input !== null && !Array.isArray(input)
        ? Object.entries(input)
        : [];
  if (typeof input !== 'string' && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw bad('review', 'The review settings must be name=value pairs or an object.');
  }
  const out: Record<string, number | boolean> = { ...defaultReviewSettings };
  for (const [name, value] of pairs) {
    if (!NAMES.includes(name))
      throw bad(name, `"${name}" is not a review setting; known: ${NAMES.join(', ')}.`);
    if (name === 'learnFirstAddress') {
      const b =
        value === true || value === 'true' ? true : value === false || value === 'false' ? false : undefined;
      if (b === undefined) throw bad(name, 'learnFirstAddress must be true or false.');
      out[name] = b;
      continue;
    }
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && value !== ''
          ? Number(value)
          : Number.NaN;
    if (!Number.isInteger(n) || Math.abs(n) > 1000)
      throw bad(name, `${name} must be a whole number from -1000 to 1000.`);
    if ((COUNTS as readonly string[]).includes(name) && n < 1) throw bad(name, `${name} must be at least 1.`);
    out[name] = n;
  }
  return Object.freeze(out) as unknown as ReviewSettings;
}

function bad(field: string, message: string): IpGateError {
  return new IpGateError('IPG_CONFIG_INVALID', message, {
    field,
    hint: 'Write --review name=value,… with names from docs/review.md#factors-and-defaults.',
  });
}
