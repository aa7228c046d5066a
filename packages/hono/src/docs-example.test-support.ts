import { serve } from '@hono/node-server';
import { ipGate } from '@ipgate/hono';
import { Hono } from 'hono';

const app = new Hono();

// Only these addresses may call; everyone else gets 403 {"error": "Access denied. …", "requestId": "…"}.
app.use(ipGate({ allow: ['203.0.113.0/24', '127.0.0.2'] }));

app.get('/', (c) => c.json({ hello: 'world' }));

export const server = serve({
  fetch: app.fetch,
  port: Number(process.env['PORT'] ?? 3000),
  hostname: '127.0.0.1',
});
