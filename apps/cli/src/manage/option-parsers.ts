import { InvalidArgumentError } from 'commander';

/**
 * A whole number ≥ `min`, for commander options (`--limit`, `--expect-version`, the limits).
 *
 * @example new Option('--limit <n>').argParser(wholeNumber(1))
 */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    if (!/^[0-9]{1,9}$/.test(value.trim()) || Number(value) < min) {
      throw new InvalidArgumentError(
        `expected a whole number of at least ${min}, got ${JSON.stringify(value)}.`,
      );
    }
    return Number(value);
  };
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What `--expires never` parses to; commander turns a parser's null into '', so it is a word. */
export const NEVER = 'never';

/**
 * When an entry expires: an ISO 8601 time with a zone (`2030-01-31T00:00:00Z`), or a time from now
 * (`90m`, `12h`, `30d`); with `allowNever`, {@link NEVER}, which clears the expiry.
 *
 * @example expiry(false)('30d'); // '2025-…Z', thirty days from now
 */
export function expiry(allowNever: boolean): (value: string) => string {
  return (value) => {
    const text = value.trim();
    if (allowNever && text === NEVER) return NEVER;
    const relative = /^([1-9][0-9]{0,5})([mhd])$/.exec(text);
    if (relative !== null) {
      return new Date(Date.now() + Number(relative[1]) * (UNITS[relative[2] ?? 'd'] ?? 0)).toISOString();
    }
    // A zone is required: a local time would mean another instant on the server.
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
      const time = new Date(text);
      if (!Number.isNaN(time.getTime())) return time.toISOString();
    }
    throw new InvalidArgumentError(
      `expected a time with a zone (2030-01-31T00:00:00Z) or a time from now (90m, 12h, 30d)${allowNever ? ', or never' : ''}; got ${JSON.stringify(value)}.`,
    );
  };
}

/**
 * `on` or `off`, for the key restriction switches.
 *
 * @example onOff('on'); // true
 */
export function onOff(value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new InvalidArgumentError(`expected on or off, got ${JSON.stringify(value)}.`);
}
