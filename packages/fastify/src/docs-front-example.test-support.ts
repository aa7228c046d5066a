import { ipGateServerFactory } from '@ipgate/fastify';
import Fastify from 'fastify';

// The gate in front of Fastify, for the whole server: denied callers never reach Fastify.
const app = Fastify({ serverFactory: ipGateServerFactory({ allow: ['203.0.113.0/24', '127.0.0.2'] }) });

app.get('/', async () => ({ hello: 'world' }));

await app.listen({ port: Number(process.env['PORT'] ?? 3000), host: '127.0.0.1' });
export const server = app.server;
