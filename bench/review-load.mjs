/**
 * One autocannon measurement of the auto-review benchmark, in a process of its own: every request
 * names its client in X-Forwarded-For (the gateway trusts 127.0.0.1 as its proxy). Every `newEvery`-th
 * request comes from an address never seen before (a fresh one in a listed /48), the others from the
 * known listed addresses; `newEvery` 0 sends known addresses only. Prints one JSON line.
 *
 *   node bench/review-load.mjs '{"url":"…","secrets":["ipg_live_…"],"known":["…"],"prefix48":"2003:e1:1","newEvery":50,"connections":50,"durationS":10,"seed":1}'
 */
import autocannon from 'autocannon';
import { freshAddress } from './review-addresses.mjs';

const { url, secrets, known, prefix48, newEvery, connections, durationS, seed } = JSON.parse(process.argv[2]);
let n = 0;
let fresh = seed * 1_000_000;
const instance = autocannon({
  url,
  connections,
  duration: durationS,
  requests: [
    {
      setupRequest(req) {
        n++;
        const isNew = newEvery > 0 && n % newEvery === 0;
        let client;
        if (isNew) {
          fresh++;
          client = freshAddress(prefix48, fresh);
        } else {
          client = known[n % known.length];
        }
        req.headers = {
          ...req.headers,
          'x-forwarded-for': client,
          // New addresses spread over the keys, as many callers would.
          authorization: `Bearer ${secrets[isNew ? fresh % secrets.length : 0]}`,
        };
        return req;
      },
    },
  ],
});
const result = await instance;
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    newAddresses: fresh - seed * 1_000_000,
    cpuS: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  })}\n`,
);
