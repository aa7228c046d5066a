import {
  IpGateError,
  IpSet,
  isIpGateError,
  PUBLISHED_RULES_FORMAT,
  parseAllowList,
  parsePublishedRules,
} from '@ipgate/core';
import { type GateRules, listRules, publishedGateRules } from './rules.js';

const MAX_LISTED_ERRORS = 5;

/**
 * Reads the text of a rules file. Three formats, told apart by the first character:
 *
 * - text: one entry per line, `#` comments, an optional name after the entry (core's `parseAllowList`);
 * - JSON list: `["203.0.113.0/24", { "value": "2001:db8::/48", "name": "office v6" }]`, or
 *   `{ "entries": [...] }`;
 * - a published rules document (`"format": "ipgate.rules/1"`), e.g. a `liveRules` cache file.
 *
 * All or nothing: one bad line rejects the whole file, so a half-edited file never replaces good rules.
 *
 * @example
 * parseRulesFile('203.0.113.0/24 office\n', 'allow.txt').decide(IpAddress.parse('203.0.113.1')).allow; // true
 * parseRulesFile('10.0.0.1/8\n', 'allow.txt'); // throws IPG_ENTRY_HOST_BITS 'allow.txt:1: …'
 */
export function parseRulesFile(text: string, source: string): GateRules {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('[') || start.startsWith('{')) return parseJson(start, source);
  const { entries, errors } = parseAllowList(text, { source });
  const first = errors[0];
  if (first !== undefined) {
    const shown = errors.slice(0, MAX_LISTED_ERRORS).map((e) => e.message);
    const more = errors.length > MAX_LISTED_ERRORS ? `\n… and ${errors.length - MAX_LISTED_ERRORS} more` : '';
    throw new IpGateError(
      first.code,
      errors.length === 1
        ? first.message
        : `${source} has ${errors.length} bad lines:\n${shown.join('\n')}${more}`,
      {
        ...(first.hint === undefined ? {} : { hint: first.hint }),
        ...(first.input === undefined ? {} : { input: first.input }),
        cause: first,
      },
    );
  }
  const list = IpSet.from(entries.map((e) => ({ value: e.value, name: e.name })));
  return listRules(list, source);
}

function parseJson(text: string, source: string): GateRules {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new IpGateError('IPG_CONFIG_INVALID', `${source} is not valid JSON: ${(error as Error).message}`, {
      hint: 'Fix the JSON, or write one entry per line without brackets.',
    });
  }
  if (typeof value === 'object' && value !== null && 'format' in value) {
    // A published document; its own parser explains what is wrong.
    return publishedGateRules(parsePublishedRules(value));
  }
  const list = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && Array.isArray((value as { entries?: unknown }).entries)
      ? ((value as { entries: unknown[] }).entries as unknown[])
      : undefined;
  if (list === undefined) {
    throw new IpGateError(
      'IPG_CONFIG_INVALID',
      `${source} must hold a JSON list of entries, {"entries": [...]}, or a "${PUBLISHED_RULES_FORMAT}" document.`,
      {
        hint: 'Write e.g. ["203.0.113.0/24", {"value": "2001:db8::/48", "name": "office v6"}].',
      },
    );
  }
  list.forEach((item, index) => {
    const ok =
      typeof item === 'string' ||
      (typeof item === 'object' && item !== null && typeof (item as { value?: unknown }).value === 'string');
    if (!ok) {
      throw new IpGateError(
        'IPG_CONFIG_INVALID',
        `${source}: entry ${index + 1} must be a string or {"value": "…", "name": "…"}.`,
        {
          index,
          hint: 'Write each entry as "203.0.113.0/24" or {"value": "203.0.113.0/24", "name": "office"}.',
        },
      );
    }
  });
  try {
    return listRules(IpSet.from(list as (string | { value: string; name?: string })[]), source);
  } catch (error) {
    if (isIpGateError(error)) {
      throw new IpGateError(error.code, `${source}: ${error.message}`, {
        ...(error.hint === undefined ? {} : { hint: error.hint }),
        ...(error.index === undefined ? {} : { index: error.index }),
        cause: error,
      });
    }
    throw error;
  }
}
