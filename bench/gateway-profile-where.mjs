/**
 * Where the microseconds go: the samples of `.cpuprofile` files (from `gateway-profile.mjs`) put in
 * the parts of a proxied request — HTTP parsing, routing and the decision, key hashing, headers,
 * upstream dispatch, socket writes, recording, metrics, ids, logging, GC — each sample by the
 * innermost frame that names a part. With a request count, samples become µs per request (a
 * sample is one `--cpu-prof-interval`, 1,000 µs by default, of a thread's wall time while busy).
 *
 *   node bench/gateway-profile-where.mjs <requests> <file.cpuprofile>…   # the files of one run
 *
 * Start-up (module loading) is left out: it is not a per-request cost.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [requestsArg, ...files] = process.argv.slice(2);
const requests = Number(requestsArg);

/** [part, test on a frame's "function url"], tried from the innermost frame out; first hit wins. */
const RULES = [
  [
    'start-up (not per request)',
    // Module files read through fs/promises show up under the promise's continuation, not the loader.
    /internal\/modules|Module\._load|compileSourceTextModule|avvio|fastify\/lib|loadESM|internal\/fs\/promises|bootstrap\/realm|pre_execution/,
  ],
  ['GC', /^\(garbage collector\)/],
  ['socket write syscalls', /^(writev|writeLatin1String|writeUtf8String|writeBuffer|writeAsciiString) /],
  ['logging (pino)', /node_modules\/pino/],
  ['recording: SQLite writes (recorder thread)', /store\/|kysely|better-sqlite3/],
  [
    'recording: recorder thread (messages, aggregation)',
    /records\/recorder(-thread)?\.js|records\/bounded-call|messageport/,
  ],
  ['recording: hand-off to the recorder thread', /threaded-recorder|postMessage/],
  ['recording: building the record', /call-record|recorded-matches|recorded-origin|matchedEntryId/],
  ['metrics', /outcome-counter|latency-histogram|prom-client/],
  ['entry usage counter', /usage\/usage-counter/],
  ['request ids', /request-ids/],
  ['key lookup: SHA-256 of the secret', /hashSecret|secrets\/secrets|key-cache/],
  [
    'decision: client address, route, lists',
    /pipeline\.js|decide-on-snapshot|packages\/core|snapshot\/|presented-key|request-path/,
  ],
  ['header rewriting (both ways)', /forwarding-headers|connection-peer|upstream-path|cors\.js/],
  [
    'undici: request building and write',
    /client-h1\.js:(86[0-9]|1[0-9]{3}) |core\/request\.js:48 |dispatcher-base|pool-base|pool\.js|dispatcher\.js|client\.js/,
  ],
  ['undici: response parsing (llhttp)', /undici|wasm/],
  ['exchange (handler, piping the response)', /upstream-exchange|bare-proxy/],
  ['gateway glue (handle, forward, close)', /start-gateway/],
  [
    'node http: parse, response, streams',
    /_http_|internal\/streams|stream_base|net:|events:|timers|task_queues|async_hooks/,
  ],
];

function label(frame) {
  const url = frame.url.replace(/^.*\/(node_modules|apps|packages|bench)\//, '$1/').replace(/^node:/, '');
  return `${frame.functionName || '(anonymous)'} ${url}:${frame.lineNumber + 1}`;
}

const parts = new Map();
let busy = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let fileBusy = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    if (n.callFrame.functionName === '(idle)') continue;
    let part = 'other';
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const text = label(byId.get(id).callFrame);
      const rule = RULES.find(([, test]) => test.test(text));
      if (rule !== undefined) {
        part = rule[0];
        break;
      }
    }
    if (part === 'other' && n.callFrame.functionName === '(program)')
      part = '(program): V8/native, unattributed';
    parts.set(part, (parts.get(part) ?? 0) + hits);
    if (!part.startsWith('start-up')) fileBusy += hits;
  }
  busy += fileBusy;
  console.log(`${basename(file)}: ${fileBusy} busy samples (start-up left out)`);
}
const interval = 1000;
console.log(
  `\n${requests} requests; ${busy} busy samples = ${((busy * interval) / requests).toFixed(1)} µs per request\n`,
);
console.log('| part | share | µs per request |');
console.log('|---|---:|---:|');
for (const [part, hits] of [...parts].sort((a, b) => b[1] - a[1])) {
  if (part.startsWith('start-up')) continue;
  console.log(
    `| ${part} | ${((hits / busy) * 100).toFixed(1)} % | ${((hits * interval) / requests).toFixed(1)} |`,
  );
}
