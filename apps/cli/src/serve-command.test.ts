import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from './cli.test-support.js';

describe('ipgate serve', () => {
  it('documents every setting with its environment variable in --help', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--listen',
      '--admin-listen',
      '--data-dir',
      '--database-url',
      '--trust-proxy',
      '--proxy-hops',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('IPGATE_LISTEN');
    expect(r.stdout).toContain('DATABASE_URL');
    expect(r.stdout).toContain('--workers');
    expect(r.stdout).toMatch(/config file \(whose keys are\s+listen, adminListen,/);
  });

  it('says in its help what the admin listener serves: the API, its docs, metrics and the console', async () => {
    for (const args of [['--help'], ['serve', '--help']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
    }
    const serve = (await runCli(['serve', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(serve).toContain(
      'admin listener (management API, its docs at /docs, /metrics, the web console at /console/)',
    );
    expect(serve).toContain(
      'admin listener address: management API, its docs at /docs, /metrics, the web console at /console/',
    );
  });

  it('refuses a bad setting before starting anything, naming it (exit 2)', async () => {
    const r = await runCli(['serve', '--listen', '8080']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/listen \(from the flag --listen\) is invalid: "8080" is not host:port/);
  });

  it('says which setting to change when the port is taken, instead of a stack trace (exit 2)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-cli-serve-'));
    try {
      // The same answer with gateway workers, whose failure crosses the IPC channel.
      for (const workers of ['1', '2']) {
        const r = await runCli([
          'serve',
          '--listen',
          `127.0.0.1:${port}`,
          '--admin-listen',
          '127.0.0.1:0',
          '--data-dir',
          dataDir,
          '--log-level',
          'silent',
          '--workers',
          workers,
        ]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`listen: 127.0.0.1:${port} is already in use (EADDRINUSE)`);
        expect(r.stderr).toContain('--listen');
        expect(r.stderr).not.toContain('internal error');
      }
    } finally {
      taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts with the demo, answers through the gateway, and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-cli-serve-'));
    const child = startCli([
      'serve',
      '--demo',
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--demo-upstream-port',
      '0',
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
    ]);
    try {
      let stdout = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner; stdout so far:\n${stdout}`)), 20_000);
        child.stdout?.on('data', (b: Buffer) => {
          stdout += b.toString('utf8');
          if (/--interface 127\.0\.0\.2.*\n/.test(stdout)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      const allowed = /curl -i -H 'Authorization: Bearer (\S+)' (http:\/\/\S+)\n/.exec(stdout);
      expect(allowed).not.toBeNull();
      const [, secret, url] = allowed as RegExpExecArray;
      const r = await fetch(url as string, { headers: { authorization: `Bearer ${secret}` } });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ message: 'Hello from the demo upstream' });

      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stops gracefully (exit 0) on a SIGTERM that arrives while it is still starting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-cli-serve-'));
    const child = startCli([
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
    ]);
    try {
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      // The rules are loaded before the listeners open and the banner is printed: a signal then
      // used to meet no handler and kill the process.
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`never loaded its rules:\n${stderr}`)), 20_000);
        let sent = false;
        child.stderr?.on('data', (b: Buffer) => {
          stderr += b.toString('utf8');
          if (!sent && stderr.includes('"rules loaded"')) {
            sent = true; // once: a second signal during the stop is the way to force an exit
            clearTimeout(timer);
            child.kill('SIGTERM');
            resolve();
          }
        });
      });
      expect(await exited, stderr).toEqual({ code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stops the start itself on a SIGTERM during the rules load: no listener opens, exit 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipgate-cli-serve-'));
    const child = startCli([
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
    ]);
    try {
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      let stdout = '';
      child.stdout?.on('data', (b: Buffer) => {
        stdout += b.toString('utf8');
      });
      let stderr = '';
      const signalled = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`never began its rules load:\n${stderr}`)), 30_000);
        let sent = false;
        child.stderr?.on('data', (b: Buffer) => {
          stderr += b.toString('utf8');
          if (!sent && stderr.includes('"loading every rule from the store"')) {
            sent = true; // once: a second signal is the way to force an exit
            clearTimeout(timer);
            child.kill('SIGTERM');
            resolve(Date.now());
          }
        });
      });
      // A node of 1,000,000 entries used to go on loading (and then start) until SIGKILL.
      expect(await exited, stderr).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(15_000);
      expect(stderr).toContain('"asked to stop while starting; stopping what has started"');
      expect(stderr).toContain('"ipgate stopped while starting"');
      expect(stderr).not.toContain('"ipgate started"');
      expect(stdout).not.toContain('ipgate is running');
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
