/**
 * A TCP relay a test puts between ipgate and its PostgreSQL, to take the store away and give it back
 * for real: `cut()` closes the listening port (new connections are refused, ECONNREFUSED) and resets
 * every connection through it; `restore()` listens on the same port again.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A running relay. */
export interface TcpRelay {
  /** The port on 127.0.0.1 that reaches the target while the relay is not cut. */
  readonly port: number;
  readonly isCut: boolean;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Refuses new connections and resets the open ones. */
  cut(): Promise<void>;
  /** Accepts and relays again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * @example
 * const relay = await startTcpRelay({ host: '127.0.0.1', port: 5432 });
 * const url = `postgres://postgres@127.0.0.1:${relay.port}/test`;
 * await relay.cut(); // the store is gone
 * await relay.restore(); // and back
 */
export async function startTcpRelay(target: {
  readonly host: string;
  readonly port: number;
}): Promise<TcpRelay> {
  const open = new Set<Socket>();
  let accepted = 0;
  let cut = false;
  let server: Server | undefined;
  let port = 0;

  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      accepted++;
      const upstream = createConnection({ host: target.host, port: target.port });
      open.add(client);
      open.add(upstream);
      const end = (): void => {
        client.destroy();
        upstream.destroy();
        open.delete(client);
        open.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    const address = s.address();
    if (typeof address === 'object' && address !== null) port = address.port;
    server = s;
  };

  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get isCut() {
      return cut;
    },
    get accepted() {
      return accepted;
    },
    async cut() {
      cut = true;
      await stop();
    },
    async restore() {
      if (!cut) return;
      cut = false;
      await listen();
    },
    close: stop,
  };
}
