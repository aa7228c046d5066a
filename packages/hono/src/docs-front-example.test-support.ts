import { serve } from '@hono/node-server';
import { ipGateCreateServer } from '@ipgate/hono';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.json({ hello: 'world' }));

// The gate in front of Hono, for the whole app: denied callers never reach Hono.
export const server = serve({
  fetch: app.fetch,
  port: Number(process.env['PORT'] ?? 3000),
  hostname: '127.0.0.1',
  createServer: ipGateCreateServer({ allow: ['203.0.113.0/24', '127.0.0.2'] }),
});
