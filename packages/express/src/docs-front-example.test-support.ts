import { createServer } from 'node:http';
import { gateListener } from '@ipgate/express';
import express from 'express';

const app = express();
app.get('/', (_req, res) => {
  res.json({ hello: 'world' });
});

// The gate in front of the app, for every route: denied callers never reach Express's router.
export const server = createServer(gateListener(app, { allow: ['203.0.113.0/24', '127.0.0.2'] }));
server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1');
