/**
 * Parts of the gateway's request path alone, two builds in one process, alternating: CPU ns per call
 * of the upstream request's headers (`upstreamRequestHeaders`, the benchmark's request: Host and
 * `Authorization`, one client, key auth) and of reading the Host header (core's `parseHostHeader`, what
 * the pipeline did per request before it kept the last answer), and of the upstream request as undici
 * takes it: those headers handed to undici's `Request` (what `pool.dispatch` makes of its options: each
 * header checked and listed), for a curl-like request (Host, User-Agent, Accept, `Authorization`), and
 * of the response's head: the upstream's headers as undici hands them over, made the caller's
 * (`downstreamResponseHeaders`) and stored by node's `writeHead` (a response with no socket), and of
 * the client address by the socket peer (`socketPeer().resolve`, which looks for forwarding headers
 * in node's header object, made here name by name in three clients' orders), and of the request
 * target read for routing (`parseRequestPath`), and of looking for a second key or Host among the raw
 * headers (`withEveryCopy`), of naming the matched entries for the record (`recordedMatches`), and of the route look-up
 * (`RouteTable.find`).
 * Values are made fresh per call where node makes them fresh per request (the Host text, the request
 * id), so nothing is cached by accident.
 *
 *   node bench/gateway-parts-ab.mjs OLD_TREE [calls=1000000] [rounds=5] [only=part,part…]
 *   node bench/gateway-parts-ab.mjs /tmp/ipgate-old
 */
import { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [oldRoot, callsArg, roundsArg, onlyArg] = process.argv.slice(2);
if (oldRoot === undefined) {
  process.stderr.write('usage: node bench/gateway-parts-ab.mjs OLD_TREE [calls] [rounds]\n');
  process.exit(2);
}
const calls = Number(callsArg ?? 1_000_000);
const rounds = Number(roundsArg ?? 5);
const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const load = async (root, file) => import(pathToFileURL(path.resolve(root, file)).href);

const builds = [];
for (const [name, root] of [
  ['old', oldRoot],
  ['new', here],
]) {
  const headers = await load(root, 'apps/server/dist/gateway/forwarding-headers.js');
  const core = await load(root, 'packages/core/dist/index.js');
  const paths = await load(root, 'apps/server/dist/snapshot/request-path.js');
  const keys = await load(root, 'apps/server/dist/gateway/presented-key.js');
  const matches = await load(root, 'apps/server/dist/records/recorded-matches.js');
  const { RouteTable } = await load(root, 'apps/server/dist/snapshot/route-table.js');
  const routes = RouteTable.from([
    { id: 'api_other', host: 'other.example', pathPrefix: '/' },
    { id: 'api_bench', host: null, pathPrefix: '/' },
  ]);
  builds.push({ name, headers, core, paths, keys, matches, routes, results: new Map() });
}

const peer = builds[0].core.IpAddress.parse('127.0.0.1');
let serial = 0;
/** node's `req.headers` of one benchmark request: new strings per request, as the parser makes them. */
const incoming = () => ({
  host: `127.0.0.1:${8000 + (serial % 1)}`,
  authorization: `Bearer ipg_live_${'x'.repeat(32)}`,
});

// undici's own request object, as `Pool#dispatch` makes it (the same undici for both builds).
const UndiciRequest = createRequire(import.meta.url)('undici/lib/core/request.js');
const handler = {
  onRequestStart() {},
  onResponseStart() {},
  onResponseData() {},
  onResponseEnd() {},
  onResponseError() {},
};
// node's `req.headers`: built name by name in the order the client sent them (three clients in turn).
const orders = [
  ['host', 'user-agent', 'accept', 'authorization'],
  ['host', 'authorization', 'user-agent', 'accept', 'accept-encoding', 'connection'],
  ['host', 'connection', 'sec-ch-ua', 'user-agent', 'accept', 'sec-fetch-site', 'sec-fetch-mode', 'referer'],
];
const nodeHeaders = () => {
  const headers = {};
  for (const name of orders[serial++ % orders.length]) headers[name] = `v${serial}`;
  return headers;
};
// What `ServerResponse` reads of its request.
const request = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} };
const curlLike = () => ({
  host: `127.0.0.1:${8000 + (serial % 1)}`,
  'user-agent': 'curl/8.5.0',
  accept: '*/*',
  authorization: `Bearer ipg_live_${'x'.repeat(32)}`,
});
const context = () => ({
  peer,
  peerText: '127.0.0.1',
  client: '127.0.0.1',
  vouched: undefined,
  host: `127.0.0.1:${8000 + (serial % 1)}`,
  keyHeader: 'authorization',
  forwardKey: false,
  requestId: `req_${serial}`,
  tenantId: 'ten_0123456789abcdef01',
  keyId: 'key_0123456789abcdef01',
});

const parts = {
  'upstream request (headers + undici Request)': (b) => {
    serial++;
    const headers = b.headers.upstreamRequestHeaders(curlLike(), context());
    return new UndiciRequest(
      'http://127.0.0.1:3000',
      { method: 'GET', path: '/v1/thing', headers, body: null },
      handler,
    );
  },
  'response head (headers + writeHead)': (b) => {
    serial++;
    const upstreamHeaders = {
      'content-type': 'application/json',
      'content-length': '18',
      date: 'Mon, 07 Dec 2026 10:28:43 GMT',
      connection: 'keep-alive',
      'keep-alive': 'timeout=60',
    };
    const res = new ServerResponse(request);
    res.writeHead(200, b.headers.downstreamResponseHeaders(upstreamHeaders, `req_${serial}`));
    return res;
  },
  'client address (socketPeer().resolve)': (b) => {
    b.strategy ??= b.core.socketPeer();
    return b.strategy.resolve('127.0.0.1', nodeHeaders());
  },
  upstreamRequestHeaders: (b) => {
    serial++;
    return b.headers.upstreamRequestHeaders(incoming(), {
      peer,
      peerText: '127.0.0.1',
      client: '127.0.0.1',
      vouched: undefined,
      host: `127.0.0.1:${8000 + (serial % 1)}`,
      keyHeader: 'authorization',
      forwardKey: false,
      requestId: `req_${serial}`,
      tenantId: 'ten_0123456789abcdef01',
      keyId: 'key_0123456789abcdef01',
    });
  },
  parseHostHeader: (b) => b.core.parseHostHeader(`127.0.0.1:${8000 + (serial++ % 1)}`),
  // The target as node's parser makes it: a new string per request.
  // node's `req.rawHeaders` of a curl-like request: names as sent, values as new strings.
  'every copy of the key and Host (withEveryCopy)': (b) => {
    const headers = curlLike();
    return b.keys.withEveryCopy(headers, [
      'Host',
      headers.host,
      'User-Agent',
      headers['user-agent'],
      'Accept',
      headers.accept,
      'Authorization',
      headers.authorization,
    ]);
  },
  // The bench's three matched entries, as new rule objects per request as the decision makes them.
  'matched entries for the record (recordedMatches)': (b) =>
    b.matches.recordedMatches({
      matched: [
        {
          stage: 'api-allowlist',
          list: 'api-allowlist',
          index: 999,
          name: undefined,
          id: 'ent_a',
          value: 'x',
        },
        { stage: 'tenant-restriction', list: 'tenant', index: 999, name: undefined, id: 'ent_b', value: 'x' },
        { stage: 'key-restriction', list: 'key-ips', index: 0, name: undefined, id: 'kip_c', value: 'x' },
      ],
      api: undefined,
      tenant: undefined,
      key: undefined,
    }),
  // The bench's Host (a new string per request) and path; its API names no host.
  'route look-up (RouteTable.find)': (b) => b.routes.find(`127.0.0.1:${8000 + (serial++ % 1)}`, '/v1/thing'),
  'request path (parseRequestPath)': (b) =>
    b.paths.parseRequestPath(`/v1/thing${serial++ % 1 === 0 ? '' : '/'}`),
};
// `only`: the parts whose names contain one of these comma-separated texts.
if (onlyArg !== undefined) {
  for (const part of Object.keys(parts)) {
    if (!onlyArg.split(',').some((text) => part.includes(text))) delete parts[part];
  }
}

const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
let sink = 0;
for (const [part, run] of Object.entries(parts)) {
  for (const b of builds) for (let i = 0; i < calls / 10; i++) sink += run(b) === undefined ? 0 : 1; // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const b of round % 2 === 0 ? builds : [...builds].reverse()) {
      const t = cpuNs();
      for (let i = 0; i < calls; i++) sink += run(b) === undefined ? 0 : 1;
      b.results.set(part, [...(b.results.get(part) ?? []), (cpuNs() - t) / calls]);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const part of Object.keys(parts)) {
  console.log(
    `${part}: ${builds
      .map(
        (b) =>
          `${b.name} ${median(b.results.get(part)).toFixed(0)} ns (${b.results
            .get(part)
            .map((x) => x.toFixed(0))
            .join(', ')})`,
      )
      .join('; ')}`,
  );
}
if (sink === 0) console.log('');
