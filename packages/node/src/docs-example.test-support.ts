import { createServer } from 'node:http';
import { httpGate } from '@ipgate/node';

// Only these addresses may call; everyone else gets 403 {"error": "Access denied. …", "requestId": "…"}.
const gate = httpGate({ allow: ['203.0.113.0/24', '127.0.0.2'] });

export const server = createServer((req, res) => {
  if (!gate(req, res)) return; // denied: the answer was sent
  res.end('hello\n');
}).listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1');
