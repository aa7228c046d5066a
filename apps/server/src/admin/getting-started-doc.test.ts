/**
 * docs/getting-started.md's shell examples, run as written with real curl against a listening
 * management API on a fresh store: every command is accepted, and what the page says they make is
 * what they make. The page's `ten_…` and `key_…` stand for the ids earlier commands answered with
 * (as a reader would paste them); nothing else is changed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnapshotEngine, type SnapshotEngine } from '../snapshot/snapshot-engine.js';
import type { Store } from '../store/store.js';
import { sqliteFactory } from '../store/test-stores.test-support.js';
import { buildAdminApp } from './app.js';
import type { AdminApp } from './routes/context.js';

const run = promisify(execFile);
const page = readFileSync(join(import.meta.dirname, '../../../../docs/getting-started.md'), 'utf8');

/** Every command of the page's `sh` blocks, continuation lines joined, comments after a command dropped. */
function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const [, block] of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = (block as string).replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '' && !command.startsWith('#')) commands.push(command);
    }
  }
  return commands;
}

describe('docs/getting-started.md', () => {
  let store: Store;
  let engine: SnapshotEngine;
  let app: AdminApp;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    store = await sqliteFactory().open();
    engine = createSnapshotEngine({ store });
    const { secret } = await store.createToken(
      { name: 'reader', role: 'owner', tenantId: null },
      { actor: 'test' },
    );
    app = await buildAdminApp({ store, engine });
    const admin = await app.listen({ host: '127.0.0.1', port: 0 });
    env = { PATH: process.env['PATH'], TOKEN: secret, ADMIN: admin };
  });
  afterAll(async () => {
    await app?.close();
    engine?.close();
    await store?.close();
  });

  it('runs every shell example as written, in order, each answered 2xx', async () => {
    // The page's first line sets ADMIN and TOKEN; the test sets them to its server and token instead.
    const [setup, ...commands] = shellCommands(page);
    expect(setup).toMatch(/^export ADMIN=\S+ TOKEN=ipg_adm_…$/);
    expect(commands.length).toBeGreaterThanOrEqual(7);
    for (const command of commands)
      expect(command, 'examples are curl calls to $ADMIN').toMatch(/^curl .*\$ADMIN\//);
    // The check example names a tenant and key the later setup makes: run it last, as a reader would.
    const ordered = [
      ...commands.filter((c) => !c.includes('/check')),
      ...commands.filter((c) => c.includes('/check')),
    ];
    const ids: Record<string, string> = {};
    const answers: { command: string; status: number; body: Record<string, unknown> }[] = [];
    for (const written of ordered) {
      const command = written.replace(
        /\b(ten|key)_…/g,
        (placeholder, kind: string) => ids[kind] ?? placeholder,
      );
      expect(command, 'an id the page uses before making it').not.toMatch(/\b(ten|key)_…/);
      // -w prints the status after the body, on its own line.
      const { stdout } = await run('bash', ['-c', `${command} -w '\\n%{http_code}'`], { env });
      const status = Number(stdout.slice(stdout.lastIndexOf('\n') + 1));
      const body = JSON.parse(stdout.slice(0, stdout.lastIndexOf('\n'))) as Record<string, unknown>;
      answers.push({ command: written, status, body });
      expect(status, `${written}\n→ ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(200);
      expect(status, `${written}\n→ ${JSON.stringify(body)}`).toBeLessThan(300);
      const id = typeof body['id'] === 'string' ? body['id'] : undefined;
      if (id?.startsWith('ten_')) ids['ten'] = id;
      if (id?.startsWith('key_')) ids['key'] = id;
    }

    // What the page says they make.
    const tenant = await store.getTenant(ids['ten'] as string);
    expect(tenant).toMatchObject({ name: 'Acme', ipMode: 'manual' });
    const [api] = (await store.listApis()).items;
    expect(api).toMatchObject({ name: 'orders', pathPrefix: '/orders', host: null });
    const keys = (await store.listKeys(tenant.id)).items;
    expect(keys.map((k) => [k.name, k.ipRestrictionEnabled, k.domainRestrictionEnabled])).toEqual(
      expect.arrayContaining([
        ['backend', false, false],
        ['web', false, true],
      ]),
    );
    const secrets = answers.filter((a) => typeof a.body['secret'] === 'string');
    expect(secrets.length, 'each key answer carries its secret, once').toBe(2);
    // The browser key lists the page's origin, so the check of that origin is allowed.
    const check = answers.find((a) => a.command.includes('/check'));
    expect(check?.body).toMatchObject({ allow: true });
  });
});
