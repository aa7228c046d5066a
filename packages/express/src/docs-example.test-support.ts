import { ipGate } from '@ipgate/express';
import express from 'express';

const app = express();

// Only these addresses may call; everyone else gets 403 {"error": "Access denied. …", "requestId": "…"}.
app.use(ipGate({ allow: ['203.0.113.0/24', '127.0.0.2'] }));

app.get('/', (_req, res) => {
  res.json({ hello: 'world' });
});

export const server = app.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1');
