import { createServer, type Server } from 'node:net';
import { socketOnlyCases } from '@ipgate/test-support/decision-cases';
import { close, listen, probeTcp } from '@ipgate/test-support/sockets';
import { afterEach, describe, expect, it } from 'vitest';
import { type NetGuard, netGuard } from './net-guard.js';

let server: Server | undefined;
let guard: NetGuard | undefined;
afterEach(async () => {
  await guard?.close();
  if (server) await close(server);
  server = undefined;
  guard = undefined;
});

describe('netGuard over real sockets: the rows of the shared table that read no header', () => {
  it.each(socketOnlyCases)('$name → $status', async (c) => {
    let seen = 0;
    // An SMTP-like server greets first: a denied connection must never get the greeting.
    server = createServer((socket) => {
      seen++;
      socket.end('220 hello\r\n');
    });
    guard = netGuard(server, { allow: c.allow });
    const port = await listen(server);
    const probe = await probeTcp(port, c.source);
    if (c.status === 200) {
      expect(probe.received).toBe('220 hello\r\n');
      expect(seen).toBe(1);
    } else {
      expect(probe.received).toBe('');
      expect(seen).toBe(0);
    }
  });
});

describe('netGuard', () => {
  it('hides a denied socket from connection listeners added before and after it, and reports the decision', async () => {
    const events: string[] = [];
    server = createServer(() => events.push('handler'));
    const decisions: boolean[] = [];
    guard = netGuard(server, { allow: ['127.0.0.2'], onDecision: (e) => decisions.push(e.allow) });
    server.on('connection', (socket) => {
      events.push('late listener');
      socket.end();
    });
    const port = await listen(server);
    const denied = await probeTcp(port, '127.0.0.3');
    expect(denied.received).toBe('');
    expect(events).toEqual([]);
    await probeTcp(port, '127.0.0.2');
    expect(events).toEqual(['handler', 'late listener']);
    expect(decisions).toEqual([false, true]);
  });

  it('refuses settings that need HTTP', () => {
    server = createServer();
    expect(() =>
      netGuard(server as Server, { allow: [], clientAddress: { mode: 'socket' } } as never),
    ).toThrow(/netGuard takes neither clientAddress nor denial/);
    expect(() =>
      netGuard(server as Server, { allow: [], keys: { keyOf: () => 'k', rules: {} } } as never),
    ).toThrow(/netGuard takes no keys/);
  });

  it('close() detaches the guard', async () => {
    server = createServer((socket) => socket.end('hi'));
    const g = netGuard(server, { allow: [] });
    const port = await listen(server);
    expect((await probeTcp(port, '127.0.0.2')).received).toBe('');
    await g.close();
    expect((await probeTcp(port, '127.0.0.2')).received).toBe('hi');
  });
});
