import { readFile } from 'node:fs/promises';
import { type Entry, type IpGateError, IpSet, parseAllowList, tryParseEntry } from '@ipgate/core';
import { prefixError } from './prefix-error.js';

/** The compiled rules of `ipgate check`, with each entry parsed, in the order the set was built from. */
export interface AllowRules {
  readonly set: IpSet;
  readonly entries: readonly Entry[];
  readonly names: readonly (string | undefined)[];
}

/** Every problem with the rules; all are reported, not only the first. */
export type AllowRulesResult =
  | { readonly ok: true; readonly rules: AllowRules }
  | { readonly ok: false; readonly errors: readonly (IpGateError | Error)[] };

/**
 * Reads `--allow` entries and `--allow-file` files and compiles them into one set.
 *
 * Fails when any entry is bad, any file cannot be read, or there is no entry at all: checking an
 * address against no rules would answer "denied" for a reason nobody meant.
 *
 * @example
 * const r = await loadAllowRules(['203.0.113.0/24'], ['allow.txt']);
 * if (r.ok) r.rules.set.has('203.0.113.7');
 */
export async function loadAllowRules(
  allow: readonly string[],
  files: readonly string[],
): Promise<AllowRulesResult> {
  const errors: (IpGateError | Error)[] = [];
  const entries: Entry[] = [];
  const names: (string | undefined)[] = [];
  for (const value of allow) {
    const parsed = tryParseEntry(value);
    if (parsed.ok) {
      entries.push(parsed.entry);
      names.push(undefined);
    } else {
      errors.push(prefixError(parsed.error, '--allow: '));
    }
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      const reason = cause instanceof Error && 'code' in cause ? String(cause.code) : String(cause);
      errors.push(new Error(`cannot read the allow file ${JSON.stringify(file)} (${reason}).`));
      continue;
    }
    const list = parseAllowList(text, { source: file });
    errors.push(...list.errors);
    for (const line of list.entries) {
      const parsed = tryParseEntry(line.value);
      // parseAllowList validated every value it returns; a failure here would be a bug in one of them.
      if (!parsed.ok) throw parsed.error;
      entries.push(parsed.entry);
      names.push(line.name);
    }
    if (list.entries.length === 0 && list.errors.length === 0) {
      errors.push(new Error(`the allow file ${JSON.stringify(file)} holds no entries.`));
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  if (entries.length === 0) {
    return {
      ok: false,
      errors: [
        new Error(
          'no rules: give --allow <entry> or --allow-file <file>, or --tenant <tenantId> to ask a running server.',
        ),
      ],
    };
  }
  const set = IpSet.from(entries.map((entry, k) => ({ value: entry.input, name: names[k] })));
  return { ok: true, rules: { set, entries, names } };
}
