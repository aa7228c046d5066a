/**
 * How often a framework reads node's `req.headers` for a plain GET (a getter spy on each request),
 * behind the `req.headers` note in bench/README.md "Middlewares": node builds that object on first
 * access, so a gate that avoids reading it saves the build only where the framework does not read it.
 *
 *   node bench/header-reads.mjs
 */
import http from 'node:http';
import { serve } from '@hono/node-server';
import Fastify from 'fastify';
import { Hono } from 'hono';

let reads = 0;
const { get } = Object.getOwnPropertyDescriptor(http.IncomingMessage.prototype, 'headers');
/** The listener, with `req.headers` counted on each request it is given. */
const spy = (listener) => (req, res) => {
  Object.defineProperty(req, 'headers', {
    configurable: true,
    get() {
      reads++;
      return get.call(this);
    },
  });
  listener(req, res);
};

const fastify = Fastify({ serverFactory: (handler) => http.createServer(spy(handler)) });
fastify.get('/', async () => ({ hello: 'world' }));
await fastify.listen({ port: 0, host: '127.0.0.1' });

const hono = new Hono();
hono.get('/', (c) => c.json({ hello: 'world' }));
const honoServer = await new Promise((resolve) => {
  const s = serve(
    {
      fetch: hono.fetch,
      port: 0,
      hostname: '127.0.0.1',
      createServer: (options, listener) => http.createServer(options, spy(listener)),
    },
    () => resolve(s),
  );
});

const plain = http.createServer(spy((_req, res) => res.end('{"hello":"world"}')));
await new Promise((resolve) => plain.listen(0, '127.0.0.1', resolve));

for (const [name, server] of [
  ['node:http (a handler that reads no header)', plain],
  ['Fastify 5', fastify.server],
  ['Hono on @hono/node-server', honoServer],
]) {
  reads = 0;
  const n = 10;
  for (let i = 0; i < n; i++) await (await fetch(`http://127.0.0.1:${server.address().port}/`)).text();
  console.log(`${name}: req.headers read ${reads / n} times per GET`);
}
await fastify.close();
honoServer.close();
plain.close();
