import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpAddress, type IpGateError } from '@ipgate/core';
import { until } from '@ipgate/test-support/fake-rules-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileRules, fileRules } from './file-rules.js';

let dir: string;
let rules: FileRules | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ipgate-file-'));
});
afterEach(() => {
  rules?.close();
  rules = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const allows = (r: FileRules, address: string) => r.current().decide(IpAddress.parse(address)).allow;

describe('fileRules', () => {
  it('reads one entry per line with comments and names, and reloads on an edit', async () => {
    const file = join(dir, 'allow.txt');
    writeFileSync(file, '# office\n203.0.113.0/24   office\n\n192.0.2.5 - 192.0.2.9 branch # five\n');
    let reloads = 0;
    rules = fileRules(file, { onReload: () => reloads++ });
    expect(allows(rules, '203.0.113.7')).toBe(true);
    expect(allows(rules, '192.0.2.9')).toBe(true);
    expect(rules.current().decide(IpAddress.parse('192.0.2.6')).matched[0]?.name).toBe('branch');
    expect(allows(rules, '198.51.100.1')).toBe(false);
    writeFileSync(file, '198.51.100.0/24\n');
    await until(() => reloads > 0);
    expect(allows(rules, '198.51.100.1')).toBe(true);
    expect(allows(rules, '203.0.113.7')).toBe(false);
  });

  it('a bad edit keeps the last good rules and reports every bad line', async () => {
    const file = join(dir, 'allow.txt');
    writeFileSync(file, '203.0.113.0/24\n');
    const errors: IpGateError[] = [];
    rules = fileRules(file, { onError: (e) => errors.push(e) });
    writeFileSync(file, '0.0.0.0/0 everyone?\n10.0.0.1/8\n127.1\n'); // one good line that would open everything
    await until(() => errors.length > 0);
    expect(errors[0]?.message).toMatch(/has 2 bad lines:\n.*allow\.txt:2: .*\n.*allow\.txt:3:/);
    expect(errors[0]?.message).toMatch(/the last good rules stay in force/);
    expect(allows(rules, '203.0.113.7')).toBe(true);
    expect(allows(rules, '198.51.100.1')).toBe(false);
  });

  it('survives the file being removed and replaced by rename (how editors and deploy tools write)', async () => {
    const file = join(dir, 'allow.txt');
    writeFileSync(file, '203.0.113.0/24\n');
    const errors: IpGateError[] = [];
    let reloads = 0;
    rules = fileRules(file, { onError: (e) => errors.push(e), onReload: () => reloads++ });
    rmSync(file);
    await until(() => errors.length > 0);
    expect(errors[0]?.message).toMatch(/does not exist/);
    expect(allows(rules, '203.0.113.7')).toBe(true);
    writeFileSync(join(dir, 'new.tmp'), '["198.51.100.0/24"]');
    renameSync(join(dir, 'new.tmp'), file);
    await until(() => reloads > 0);
    expect(allows(rules, '198.51.100.1')).toBe(true);
  });

  it('reads JSON lists and published documents (a liveRules cache file)', () => {
    const file = join(dir, 'allow.json');
    writeFileSync(file, JSON.stringify({ entries: ['10.0.0.0/8', { value: '2001:db8::/32', name: 'v6' }] }));
    rules = fileRules(file, { watch: false });
    expect(allows(rules, '2001:db8::1')).toBe(true);
    rules.close();
    writeFileSync(
      file,
      JSON.stringify({
        format: 'ipgate.rules/1',
        version: 4,
        scope: { kind: 'api', apiId: 'a' },
        entries: [],
      }),
    );
    rules = fileRules(file, { watch: false });
    expect(rules.current().version).toBe(4);
    expect(allows(rules, '198.51.100.1')).toBe(true); // an empty API allowlist is open
  });

  it('fails the start when the file is missing or bad, saying what to do', () => {
    expect(() => fileRules(join(dir, 'nope.txt'))).toThrow(/does not exist/);
    writeFileSync(join(dir, 'bad.txt'), '10.0.0.1/8\n');
    expect(() => fileRules(join(dir, 'bad.txt'))).toThrow(/bad\.txt:1: .*host bits/);
    writeFileSync(join(dir, 'bad.json'), '[1]');
    expect(() => fileRules(join(dir, 'bad.json'))).toThrow(/entry 1 must be a string/);
    writeFileSync(join(dir, 'broken.json'), '["10.0.0.0/8"');
    expect(() => fileRules(join(dir, 'broken.json'))).toThrow(/not valid JSON/);
  });

  it('an empty file denies everyone', () => {
    writeFileSync(join(dir, 'empty.txt'), '# nobody yet\n');
    rules = fileRules(join(dir, 'empty.txt'), { watch: false });
    expect(allows(rules, '127.0.0.1')).toBe(false);
  });
});
