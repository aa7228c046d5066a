import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './cli.test-support.js';

/** A server that accepts connections and never answers: the CLI's request waits on it. */
const silent = createServer((socket) => sockets.push(socket));
const sockets: Socket[] = [];
let url: string;

beforeAll(async () => {
  await ensureBuilt();
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}`;
}, 180_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe('a CLI run in the tests', () => {
  it('that does not end in time is killed and fails naming the command, not left to hang', async () => {
    const started = Date.now();
    const failure = await runCli(
      ['tenants', 'list', '--server', url],
      undefined,
      { IPGATE_TOKEN: 'ipg_adm_test' },
      3_000,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(failure)).toContain(
      `ipgate tenants list --server ${url} did not end within 3 s; killed it.`,
    );
    // Well before the command's own 30 s request timeout.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
