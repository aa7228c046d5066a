import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';

/**
 * The Fastify instances a test file makes, closed after each test. `start` listens on `::` (dual
 * stack, so IPv4 peers arrive as `::ffff:127.0.0.x`) and returns the port; `track` closes one that
 * never listened; `forget` drops one the test closed itself.
 *
 * @example
 * const instances = fastifyInstances();
 * const port = await instances.start(Fastify());
 */
export function fastifyInstances(): {
  start(instance: FastifyInstance): Promise<number>;
  track(instance: FastifyInstance): void;
  forget(instance: FastifyInstance): void;
} {
  const open = new Set<FastifyInstance>();
  afterEach(async () => {
    for (const instance of open) await instance.close();
    open.clear();
  });
  return {
    async start(instance) {
      open.add(instance);
      await instance.listen({ port: 0, host: '::', ipv6Only: false });
      const address = instance.server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      return address.port;
    },
    track: (instance) => void open.add(instance),
    forget: (instance) => void open.delete(instance),
  };
}
