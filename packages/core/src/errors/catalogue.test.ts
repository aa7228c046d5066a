import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decisionReasons, errors, gatewayReasons, warnings } from './catalogue.js';
import { IpGateError, isIpGateError } from './ip-gate-error.js';

const DOC = new URL('../../../../docs/errors.md', import.meta.url);

interface Section {
  readonly code: string;
  readonly body: string;
}

/** The `### CODE` sections of the page, in order, each with the text up to the next heading. */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  const lines = markdown.split(/\r?\n/);
  let current: { code: string; body: string[] } | undefined;
  let fenced = false;
  for (const line of lines) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading !== null) {
      if (current !== undefined) out.push({ code: current.code, body: current.body.join('\n').trim() });
      current = undefined;
      if (heading[1] === '###') {
        // A heading may write the code in backticks.
        current = { code: (heading[2] ?? '').replace(/^`|`$/g, ''), body: [] };
      }
      continue;
    }
    current?.body.push(line);
  }
  if (current !== undefined) out.push({ code: current.code, body: current.body.join('\n').trim() });
  return out;
}

/** What one side has and the other lacks. */
function difference(documented: readonly string[], catalogued: readonly string[]) {
  return {
    undocumented: catalogued.filter((c) => !documented.includes(c)).sort(),
    notInCatalogue: documented.filter((c) => !catalogued.includes(c)).sort(),
  };
}

const catalogued = [
  ...Object.keys(errors),
  ...Object.keys(warnings),
  ...Object.keys(decisionReasons),
  ...Object.keys(gatewayReasons),
];

describe('docs/errors.md and the catalogue list the same codes', () => {
  const doc = sections(readFileSync(DOC, 'utf8'));
  const documented = doc.map((s) => s.code);

  it('every catalogued code is documented, and every documented code is catalogued', () => {
    expect(difference(documented, catalogued)).toEqual({ undocumented: [], notInCatalogue: [] });
    expect(documented.length).toBeGreaterThan(0);
  });

  it('the check fails when either side gains a code the other lacks', () => {
    expect(difference([...documented, 'IPG_NEW_THING'], catalogued).notInCatalogue).toEqual([
      'IPG_NEW_THING',
    ]);
    expect(difference(documented, [...catalogued, 'IPG_NEW_THING']).undocumented).toEqual(['IPG_NEW_THING']);
    expect(difference(documented.slice(1), catalogued).undocumented).toEqual([documented[0]]);
  });

  it('documents each code once, with some text under it', () => {
    const seen = new Set<string>();
    for (const s of doc) {
      expect(seen.has(s.code), `${s.code} has two sections`).toBe(false);
      seen.add(s.code);
      expect(s.body.length, `${s.code} has no text`).toBeGreaterThan(10);
    }
  });

  it.each(Object.entries(errors))('the section of %s states its HTTP status', (code, descriptor) => {
    const section = doc.find((s) => s.code === code);
    expect(section?.body).toMatch(new RegExp(`\\b${descriptor.status}\\b`));
  });
});

describe('the catalogue itself', () => {
  it('no code is in two lists', () => {
    expect(new Set(catalogued).size).toBe(catalogued.length);
  });

  it.each(Object.entries(errors))('%s: a stable name, a 4xx/5xx status, a one-line title', (code, d) => {
    expect(code).toMatch(/^IPG_[A-Z0-9]+(_[A-Z0-9]+)+$/);
    expect(code.startsWith('IPG_WARN_')).toBe(false);
    expect(Number.isInteger(d.status) && d.status >= 400 && d.status <= 599).toBe(true);
    expect(d.title).toMatch(/^\S.*\.$/);
    expect(d.title).not.toContain('\n');
  });

  it.each(Object.entries(warnings))('%s: a warning code with a description', (code, text) => {
    expect(code).toMatch(/^IPG_WARN_[A-Z0-9_]+$/);
    expect(text).toMatch(/^\S.*\.$/);
  });

  it.each(Object.entries({ ...decisionReasons, ...gatewayReasons }))(
    '%s: a kebab-case reason with a description',
    (code, text) => {
      expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(text).toMatch(/^\S.*\.$/);
    },
  );
});

describe('IpGateError', () => {
  it('carries code, hint, input, field and the status of its code', () => {
    const e = new IpGateError('IPG_ENTRY_HOST_BITS', 'bad', {
      hint: 'h',
      input: '10.0.0.1/8',
      field: 'value',
    });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('IpGateError');
    expect(e.status).toBe(errors.IPG_ENTRY_HOST_BITS.status);
    expect(e.toJSON()).toEqual({ code: 'IPG_ENTRY_HOST_BITS', message: 'bad', hint: 'h', field: 'value' });
    // The input is not echoed in the JSON body.
    expect(JSON.stringify(e)).not.toContain('10.0.0.1/8');
  });

  it('withContext adds the position without losing anything', () => {
    const e = new IpGateError('IPG_ENTRY_LIST', 'two in one', { hint: 'h', input: 'a, b' });
    const c = e.withContext({ index: 4, field: 'entries' });
    expect(c.code).toBe('IPG_ENTRY_LIST');
    expect(c.message).toBe('entry 5: two in one');
    expect(c.index).toBe(4);
    expect(c.field).toBe('entries');
    expect(c.hint).toBe('h');
    expect(c.input).toBe('a, b');
    expect(c.cause).toBe(e);
    expect(c.toJSON()).toEqual({
      code: 'IPG_ENTRY_LIST',
      message: 'entry 5: two in one',
      hint: 'h',
      field: 'entries',
      index: 4,
    });
  });

  it('isIpGateError recognises copies from another package instance, and nothing else', () => {
    const foreign = Object.assign(new Error('x'), { name: 'IpGateError', code: 'IPG_ENTRY_EMPTY' });
    expect(isIpGateError(new IpGateError('IPG_ENTRY_EMPTY', 'x'))).toBe(true);
    expect(isIpGateError(foreign)).toBe(true);
    for (const other of [
      new Error('x'),
      new TypeError('x'),
      { name: 'IpGateError', code: 'IPG_ENTRY_EMPTY' },
      'IpGateError',
      null,
      undefined,
    ]) {
      expect(isIpGateError(other)).toBe(false);
    }
  });
});
