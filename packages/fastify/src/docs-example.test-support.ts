import { ipGate } from '@ipgate/fastify';
import Fastify from 'fastify';

const app = Fastify();

// Only these addresses may call; everyone else gets 403 {"error": "Access denied. …", "requestId": "…"}.
await app.register(ipGate, { allow: ['203.0.113.0/24', '127.0.0.2'] });

app.get('/healthz', { config: { ipGate: false } }, async () => 'ok'); // open to everyone
app.get('/', async () => ({ hello: 'world' }));

await app.listen({ port: Number(process.env['PORT'] ?? 3000), host: '127.0.0.1' });
export const server = app.server;
