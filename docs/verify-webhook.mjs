// Receive and verify ipgate webhooks in Node (Standard Webhooks): `npm install standardwebhooks`,
// then `IPGATE_WEBHOOK_SECRET=whsec_… node verify-webhook.mjs` and add http://<this host>:3000/ as
// the tenant's webhook channel. ipgate's own tests run this file.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

/**
 * A `node:http` handler that accepts only deliveries signed with `secret`, calls `onEvent` once per
 * `webhook-id` (a retried delivery keeps its id), and answers 204; a bad signature or an old
 * timestamp gets 400 and is not processed.
 */
export function webhookHandler(secret, onEvent) {
  const webhook = new Webhook(secret);
  const seen = new Set();
  return (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let event;
      try {
        // Verify the raw body exactly as received: parsing and re-serialising would change it.
        event = webhook.verify(Buffer.concat(chunks).toString('utf8'), req.headers);
      } catch {
        res.writeHead(400).end('signature not valid');
        return;
      }
      const id = req.headers['webhook-id'];
      if (!seen.has(id)) {
        seen.add(id);
        onEvent(event, id);
      }
      res.writeHead(204).end();
    });
  };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const secret = process.env.IPGATE_WEBHOOK_SECRET;
  if (secret === undefined)
    throw new Error('Set IPGATE_WEBHOOK_SECRET to the secret the channel was created with.');
  const handler = webhookHandler(secret, (event, id) => {
    // event.type: ip.pending, ip.authorized, ip.rejected or review.stopped; event.data: see the samples.
    console.log(id, event.type, JSON.stringify(event.data));
  });
  createServer(handler).listen(Number(process.env.PORT ?? 3000));
}
