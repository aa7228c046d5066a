/**
 * Sends exactly `count` GET requests to `url` over `connections` keep-alive connections and prints
 * `{"count":N,"non2xx":M}`. A load generator by count, not by time, for measurements that divide a
 * total by the number of requests (instructions per request under callgrind).
 *
 *   node bench/exact-requests.mjs http://127.0.0.1:4000/ 20000 10
 */
import { Pool } from 'undici';

const [url, countText, connectionsText = '10'] = process.argv.slice(2);
const count = Number(countText);
const connections = Number(connectionsText);
if (url === undefined || !Number.isInteger(count) || count <= 0 || !Number.isInteger(connections)) {
  throw new Error('usage: node bench/exact-requests.mjs URL COUNT [CONNECTIONS]');
}

const target = new URL(url);
const pool = new Pool(target.origin, { connections, pipelining: 1 });
let left = count;
let non2xx = 0;

async function connection() {
  while (left > 0) {
    left--;
    const response = await pool.request({ path: target.pathname, method: 'GET' });
    if (response.statusCode < 200 || response.statusCode >= 300) non2xx++;
    await response.body.dump();
  }
}

await Promise.all(Array.from({ length: connections }, connection));
await pool.close();
process.stdout.write(`${JSON.stringify({ count, non2xx })}\n`);
