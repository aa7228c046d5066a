/**
 * `ipgate users …` with the real command on a SQLite data directory: add (generated and given
 * passwords), list, reset-password, remove; the stored hashes verify with the passwords printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '@ipgate/server';
import { verify } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './cli.test-support.js';

beforeAll(ensureBuilt, 180_000);

describe('ipgate users', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipgate-users-'));
  const at = ['--data-dir', dir];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const hashOf = async (name: string) => {
    const store = await openSqliteStore({ path: join(dir, 'ipgate.db') });
    try {
      return (await store.findUserByName(name))?.passwordHash as string;
    } finally {
      await store.close();
    }
  };

  it('adds a user with a generated password, printed once, stored as Argon2id', async () => {
    const r = await runCli(['users', 'add', 'ana', '--role', 'editor', ...at]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Added console user "ana" \(editor, all tenants\), id prn_\w+\.\n/);
    const password = /\n {2}(\S+)\n$/.exec(r.stdout)?.[1] as string;
    expect(password).toMatch(/^[\w-]{5}-[\w-]{5}-[\w-]{5}-[\w-]{5}$/);
    const hash = await hashOf('ana');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await verify(hash, password)).toBe(true);
  });

  it('takes a password from standard input, and refuses a short one naming the field', async () => {
    const ok = await runCli(
      ['users', 'add', 'vic', '--role', 'viewer', '--password-stdin', ...at],
      'a long passphrase here\n',
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain('Password');
    expect(await verify(await hashOf('vic'), 'a long passphrase here')).toBe(true);
    const short = await runCli(
      ['users', 'add', 'sam', '--role', 'viewer', '--password-stdin', ...at],
      'short\n',
    );
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('at least 12 characters');
    const twice = await runCli(['users', 'add', 'ana', '--role', 'owner', ...at]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('exists already');
  });

  it('lists, resets a password and removes', async () => {
    const list = await runCli(['users', 'list', '--json', ...at]);
    expect(
      JSON.parse(list.stdout).items.map((u: { name: string; role: string }) => `${u.name}:${u.role}`),
    ).toEqual(['ana:editor', 'vic:viewer']);
    const before = await hashOf('ana');
    const reset = await runCli(
      ['users', 'reset-password', 'ana', '--password-stdin', ...at],
      'another long one!\n',
    );
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('its sessions have ended');
    const after = await hashOf('ana');
    expect(after).not.toBe(before);
    expect(await verify(after, 'another long one!')).toBe(true);
    const removed = await runCli(['users', 'remove', 'vic', ...at]);
    expect(removed.code).toBe(0);
    const missing = await runCli(['users', 'remove', 'vic', ...at]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No console user named "vic"');
    expect((await runCli(['users', 'list', ...at])).stdout).toMatch(/^ana\teditor\tall tenants\tprn_\w+\n$/);
  });
});
