/**
 * Fuzz target for the parsers of @ipgate/core.
 *
 *   npm run fuzz                 # 60 s
 *   npm run fuzz -- 300          # 300 s
 *   FUZZ_SECONDS=10 FUZZ_SEED=42 npm run fuzz
 *   FUZZ_TARGETS=parseEntry,IpSet npm run fuzz   # only targets whose name contains one of these
 *
 * Feeds grammar-aware random text and mutations of valid inputs to every parser and asserts:
 * - nothing throws anything but an IpGateError (anything else escaping is a bug, see ip-gate-error.ts);
 * - no single call takes longer than FUZZ_SLOW_MS (50 ms): a hang or catastrophic backtracking;
 * - a few invariants that must hold for any input (fail closed: only a strict address is ever matched;
 *   tryParse and parse agree; canonical forms read back as the same value).
 * Prints each failing input, a summary, and exits non-zero on failure. The seed is printed to replay a run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IpAddress } from '../src/address/ip-address.js';
import { formatEntryCsv, parseEntryCsv } from '../src/entry/entry-csv.js';
import { formatAllowList } from '../src/entry/format-allow-list.js';
import { parseAllowList } from '../src/entry/parse-allow-list.js';
import { parseEntry, tryParseEntry } from '../src/entry/parse-entry.js';
import { isIpGateError } from '../src/errors/ip-gate-error.js';
import { parsePublishedRules } from '../src/published/published-rules.js';
import { IpSet } from '../src/set/ip-set.js';

export interface FuzzOptions {
  /** How long to run, in milliseconds. */
  readonly budgetMs: number;
  readonly seed?: number;
  /** A call slower than this (on three tries) is a failure. */
  readonly slowMs?: number;
  /** Stop after this many failures. */
  readonly maxFailures?: number;
  /** A target is dropped after this many failures, so that one bug does not eat the budget. */
  readonly maxFailuresPerTarget?: number;
  /** Only targets whose name contains one of these. */
  readonly only?: readonly string[];
  /** The longest generated input (default 100,000 characters). */
  readonly maxLength?: number;
  /** Inputs not to give a target: a known issue, tracked by its own test, should not hide new ones. */
  readonly skipInput?: (target: string, input: string) => boolean;
  readonly log?: (line: string) => void;
}

export interface FuzzFailure {
  readonly target: string;
  readonly kind: 'threw' | 'slow' | 'invariant';
  readonly input: string;
  readonly detail: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly inputs: number;
  readonly elapsedMs: number;
  /** Calls per target. */
  readonly calls: Record<string, number>;
  /** Per target, how many inputs were accepted (no error). */
  readonly accepted: Record<string, number>;
  /** Targets whose module does not exist (yet), or that were dropped after failing. */
  readonly skipped: string[];
  readonly failures: FuzzFailure[];
}

// ---- randomness: a small seeded generator, so a failing run can be replayed ----

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
}

// ---- inputs ----

const VALID: readonly string[] = [
  // addresses
  '0.0.0.0',
  '127.0.0.1',
  '192.0.2.1',
  '255.255.255.255',
  '::',
  '::1',
  '2001:db8::1',
  '2001:DB8:0:0:1:0:0:1',
  '::ffff:192.0.2.1',
  '64:ff9b::192.0.2.1',
  'fe80::1',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:1.2.3.4',
  // entries
  '10.0.0.0/8',
  '192.168.0.0/255.255.255.0',
  '192.168.0/16',
  '10/8',
  '192.168.0.10 - 192.168.10.20',
  '192.168.10.10-20',
  '2001:db8::/32',
  '2001:db8::1-2001:db8::ff',
  '::ffff:10.0.0.0/104',
  '0.0.0.0/0',
  '::/0',
  // domain rules and origins
  'example.com',
  '*.example.com',
  'https://app.example.com:8443',
  'http://localhost:3000',
  'https://[2001:db8::1]:8443',
  'xn--bcher-kva.example',
  'bücher.example',
  'null',
  'https://example.com/path?q#f',
  // forwarded headers and elements
  '192.0.2.60',
  '192.0.2.60:4711',
  '[2001:db8::1]:80',
  'for=192.0.2.60;proto=http;by=203.0.113.43',
  'for="[2001:db8:cafe::17]:4711"',
  'for=192.0.2.43, for=198.51.100.17',
  'For="_gazonk"',
  'for=unknown',
  'for="192.0.2.1, 10.0.0.1";proto=https',
];

const TOKENS: readonly string[] = [
  '0',
  '1',
  '9',
  '00',
  '01',
  '10',
  '127',
  '255',
  '256',
  '4294967295',
  '4294967296',
  '2130706433',
  '0x',
  '0x7f',
  '0X7F',
  'ff',
  'FFFF',
  'ffff',
  'db8',
  '2001',
  '12345',
  'g',
  '.',
  '.',
  ':',
  ':',
  '::',
  ':::',
  '/',
  '/8',
  '/32',
  '/128',
  '/08',
  '-',
  ' - ',
  ' ',
  '\t',
  '\n',
  '\r',
  ',',
  ';',
  '=',
  '"',
  '\\',
  '[',
  ']',
  '%',
  '%eth0',
  '%25',
  '*',
  '*.',
  'for=',
  'by=',
  'proto=',
  'unknown',
  '_hidden',
  'http://',
  'https://',
  '//',
  '@',
  '?',
  '#',
  'example',
  'com',
  'xn--',
  'localhost',
  '\u0000',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\u200b',
  '\ufeff',
  '\uff11',
  '\uff0e',
  '\uff1a',
  '\u0661',
  '\u0130',
  '\u212a',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  'ß',
];

const LONG_UNITS: readonly string[] = [
  '1',
  '0',
  '.',
  ':',
  '1:',
  '1.',
  'f',
  '::',
  '[',
  '"',
  ',',
  ' ',
  '-',
  '/',
  'a.',
  'for=1.2.3.4,',
  '0x',
  '\\"',
  '%',
  '*.',
];

function grammarInput(rng: Rng): string {
  const n = 1 + rng.int(rng.chance(0.8) ? 12 : 60);
  let s = '';
  for (let k = 0; k < n; k++) s += rng.pick(TOKENS);
  return s;
}

function validAddress(rng: Rng): string {
  if (rng.chance(0.5)) {
    return IpAddress.fromIPv4Number(rng.int(0x100000000)).toString();
  }
  const words = [0, 1, 2, 3].map(() => (rng.chance(0.4) ? 0 : rng.int(0x100000000)));
  if (rng.chance(0.2)) {
    words[0] = 0;
    words[1] = 0;
    words[2] = 0xffff;
  }
  const a = IpAddress.fromWords(6, words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, words[3] ?? 0).toString();
  return rng.chance(0.3) ? a.toUpperCase() : a;
}

function structuredInput(rng: Rng): string {
  const a = validAddress(rng);
  const b = validAddress(rng);
  switch (rng.int(8)) {
    case 0:
      return a;
    case 1:
      return `${a}/${rng.int(140)}`;
    case 2:
      return `${a}${rng.pick(['-', ' - ', '-', ','])}${rng.chance(0.3) ? rng.int(300) : b}`;
    case 3:
      return `[${a}]:${rng.int(70000)}`;
    case 4:
      return `for=${rng.chance(0.5) ? `"[${a}]:${rng.int(70000)}"` : a};proto=https, for=${b}`;
    case 5:
      return `${rng.pick(['http://', 'https://', ''])}${rng.pick(['*.', ''])}${rng.pick(['example.com', 'a.b.c', a, `[${b}]`])}${rng.chance(0.5) ? `:${rng.int(70000)}` : ''}`;
    case 6:
      return a
        .split('.')
        .map((p) => (rng.chance(0.3) ? `0${p}` : rng.chance(0.2) ? `0x${Number(p).toString(16)}` : p))
        .join('.');
    default:
      return `${a}${rng.pick(['%eth0', '%', '/', ' ', '.', ':', '::', ''])}`;
  }
}

function mutate(rng: Rng, s: string): string {
  let out = s;
  const steps = 1 + rng.int(4);
  for (let k = 0; k < steps; k++) {
    const i = rng.int(out.length + 1);
    switch (rng.int(7)) {
      case 0: // insert a token
        out = out.slice(0, i) + rng.pick(TOKENS) + out.slice(i);
        break;
      case 1: // delete a run
        out = out.slice(0, i) + out.slice(i + 1 + rng.int(3));
        break;
      case 2: // replace one character
        out =
          out.slice(0, i) +
          String.fromCharCode(rng.chance(0.8) ? 32 + rng.int(95) : rng.int(0x10000)) +
          out.slice(i + 1);
        break;
      case 3: // duplicate a slice
        out = out.slice(0, i) + out.slice(i, i + rng.int(8)) + out.slice(i);
        break;
      case 4: // flip case
        out = rng.chance(0.5) ? out.toUpperCase() : out.toLowerCase();
        break;
      case 5: // join two inputs
        out = out + rng.pick(['', ' ', ',', '-', '/', ':', ';']) + rng.pick(VALID);
        break;
      default: // cut
        out = rng.chance(0.5) ? out.slice(0, i) : out.slice(i);
    }
  }
  return out;
}

function longInput(rng: Rng, maxLength: number): string {
  const unit = rng.pick(LONG_UNITS);
  const n = Math.min(maxLength, rng.pick([1000, 10000, 50000, 100000]));
  const body = unit.repeat(Math.ceil(n / unit.length));
  return rng.chance(0.5) ? body : `${rng.pick(VALID)}${body}${rng.pick(VALID)}`;
}

function nextInput(rng: Rng, maxLength: number): string {
  const r = rng.int(100);
  if (r < 35) return grammarInput(rng);
  if (r < 60) return structuredInput(rng);
  if (r < 97) return mutate(rng, rng.chance(0.5) ? rng.pick(VALID) : structuredInput(rng));
  return longInput(rng, maxLength);
}

// ---- targets ----

type Target = (input: string) => boolean | undefined;

class InvariantError extends Error {}

function check(condition: boolean, message: string): void {
  if (!condition) throw new InvariantError(message);
}

/** Runs f; an IpGateError means "rejected" (false); anything else propagates. */
function rejects(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (isIpGateError(e)) return true;
    throw e;
  }
}

const fixedSet = IpSet.from([
  '0.0.0.0/0',
  '::/0',
  '10.0.0.0/8',
  '127.0.0.0/8',
  '::1',
  '2001:db8::/32',
  '192.0.2.10-192.0.2.20',
  '::ffff:0:0/96',
]);

function coreTargets(): Record<string, Target> {
  return {
    'IpAddress.tryParse': (s) => {
      const a = IpAddress.tryParse(s);
      if (a === undefined) return false;
      // A strict address has one spelling per value: its canonical text reads back as itself.
      const again = IpAddress.tryParse(a.toString());
      check(again?.equals(a) === true, `canonical ${a.toString()} does not read back`);
      check(again?.toString() === a.toString(), 'canonical text is not stable');
      return true;
    },
    'IpAddress.parse': (s) => {
      const rejected = rejects(() => IpAddress.parse(s));
      check(rejected === (IpAddress.tryParse(s) === undefined), 'parse and tryParse disagree');
      return !rejected;
    },
    parseEntry: (s) => {
      let entry: ReturnType<typeof parseEntry> | undefined;
      const rejected = rejects(() => {
        entry = parseEntry(s);
      });
      if (entry !== undefined) {
        const again = parseEntry(entry.canonical);
        check(
          again.first.equals(entry.first) && again.last.equals(entry.last),
          'canonical entry means other addresses',
        );
        check(entry.first.compare(entry.last) <= 0, 'first > last');
      }
      return !rejected;
    },
    tryParseEntry: (s) => {
      const r = tryParseEntry(s);
      if (!r.ok) check(isIpGateError(r.error), 'tryParseEntry returned a foreign error');
      return r.ok;
    },
    'IpSet.from': (s) => {
      let set: IpSet | undefined;
      const rejected = rejects(() => {
        set = IpSet.from(['192.0.2.0/24', s, '2001:db8::/48']);
      });
      if (set !== undefined) {
        const e = parseEntry(s);
        check(set.hasAddress(e.first) && set.hasAddress(e.last), 'an entry does not hold its own bounds');
        check(set.matchAddress(e.first) !== undefined, 'has but no match');
      }
      return !rejected;
    },
    parsePublishedRules: (s) => {
      // JSON text is read as a whole document; anything else goes in as an entry of a valid one.
      let document: unknown;
      try {
        document = JSON.parse(s);
      } catch {
        document = {
          format: 'ipgate.rules/1',
          version: 1,
          scope: { kind: 'tenant', tenantId: 'ten_f', mode: 'manual' },
          entries: [{ id: 'ent_f', name: 'fuzz', value: s }],
        };
      }
      let rules: ReturnType<typeof parsePublishedRules> | undefined;
      const rejected = rejects(() => {
        rules = parsePublishedRules(document);
      });
      if (rules !== undefined) {
        const open = rules.scope.kind === 'api' ? rules.list.isEmpty : rules.scope.mode === 'off';
        // Fail closed: text that is not an address passes only where the scope lets everyone through.
        check(rules.allows('not an address') === open, 'published rules let a malformed address through');
      }
      return !rejected;
    },
    parseEntryCsv: (s) => {
      const { rows, errors } = parseEntryCsv(s);
      for (const e of errors) check(isIpGateError(e), 'parseEntryCsv reported a foreign error');
      // What was read writes back and reads again as the same rows (the export/import round trip).
      const full = rows.map((r) => ({
        value: r.value,
        name: r.name ?? '',
        expiresAt: r.expiresAt ?? null,
        enabled: r.enabled ?? true,
      }));
      const again = parseEntryCsv(formatEntryCsv(full));
      check(again.errors.length === 0, 'formatEntryCsv wrote a file parseEntryCsv refuses');
      check(
        JSON.stringify(
          again.rows.map((r) => [r.value, r.name ?? '', r.expiresAt ?? null, r.enabled ?? true]),
        ) === JSON.stringify(full.map((r) => [r.value, r.name, r.expiresAt, r.enabled])),
        'a CSV row does not read back as itself',
      );
      return rows.length > 0;
    },
    formatAllowList: (s) => {
      // Whatever name the text format takes must read back exactly; the rest must be refused.
      const name = s.trim();
      let text: string | undefined;
      const rejected = rejects(() => {
        text = formatAllowList([{ value: '192.0.2.1', name }]);
      });
      if (text !== undefined) {
        const back = parseAllowList(text);
        check(
          back.errors.length === 0 && back.entries.length === 1,
          'formatAllowList wrote an unreadable line',
        );
        check((back.entries[0]?.name ?? '') === name, 'a name does not read back as itself');
      }
      return !rejected;
    },
    'IpSet.has/match': (s) => {
      const has = fixedSet.has(s);
      const m = fixedSet.match(s);
      check(has === (m !== undefined), 'has and match disagree');
      // Fail closed: only a strict address can ever be in a set, however wide.
      check(!has || IpAddress.tryParse(s) !== undefined, 'a set matched text that is not a strict address');
      return has;
    },
  };
}

/** Loads an optional module of the package by path; undefined when it does not exist (yet). */
async function optional(relative: string): Promise<Record<string, unknown> | undefined> {
  const url = new URL(relative, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  return (await import(url.href)) as Record<string, unknown>;
}

function callTarget(f: unknown): Target | undefined {
  if (typeof f !== 'function') return undefined;
  return (s) => {
    let result: unknown;
    if (rejects(() => (result = (f as (x: string) => unknown)(s)))) return false;
    // Counted as accepted unless it says no: null, undefined or { ok: false }.
    return !(
      result === null ||
      result === undefined ||
      (typeof result === 'object' && 'ok' in result && (result as { ok: unknown }).ok === false)
    );
  };
}

async function optionalTargets(skipped: string[]): Promise<Record<string, Target>> {
  const out: Record<string, Target> = {};
  const modules: [string, string, string[]][] = [
    [
      '../src/domain/index.ts',
      'domain',
      ['parseDomainRule', 'tryParseDomainRule', 'parseOrigin', 'parseRefererOrigin', 'parseHostHeader'],
    ],
    ['../src/client-address/index.ts', 'client-address', ['parseForwarded', 'parseForwardedNode']],
  ];
  for (const [path, name, functions] of modules) {
    const m = await optional(path);
    for (const fn of functions) {
      const t = m === undefined ? undefined : callTarget(m[fn]);
      if (t === undefined) skipped.push(`${fn} (${m === undefined ? `no ${name} module` : 'not exported'})`);
      else out[fn] = t;
    }
  }
  return out;
}

// ---- the loop ----

function show(input: string): string {
  const shown = JSON.stringify(input.length > 300 ? `${input.slice(0, 300)}…` : input);
  return input.length > 300 ? `${shown} (${input.length} chars)` : shown;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? (Date.now() ^ (Math.random() * 0x100000000)) >>> 0;
  const slowMs = options.slowMs ?? 50;
  const maxFailures = options.maxFailures ?? 20;
  const log = options.log ?? (() => {});
  const rng = new Rng(seed);
  const skipped: string[] = [];
  const maxPerTarget = options.maxFailuresPerTarget ?? 3;
  const targets = { ...coreTargets(), ...(await optionalTargets(skipped)) };
  const only = options.only;
  const names = Object.keys(targets).filter((n) => only === undefined || only.some((o) => n.includes(o)));
  const failuresOf: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const calls: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const accepted: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const failures: FuzzFailure[] = [];
  const fail = (f: FuzzFailure): void => {
    failures.push(f);
    failuresOf[f.target] = (failuresOf[f.target] as number) + 1;
    log(`FAIL ${f.target} (${f.kind}) on ${show(f.input)}: ${f.detail}`);
    if (failuresOf[f.target] === maxPerTarget)
      skipped.push(`${f.target} (dropped after ${maxPerTarget} failures)`);
  };

  const started = performance.now();
  let inputs = 0;
  // The valid corpus first, then random inputs until the budget is spent.
  const maxLength = options.maxLength ?? 100_000;
  const queue = [...VALID, '', ' ', longInput(rng, maxLength)];
  while (failures.length < maxFailures) {
    if (inputs % 64 === 0 && performance.now() - started >= options.budgetMs && inputs >= queue.length) break;
    const input = inputs < queue.length ? (queue[inputs] as string) : nextInput(rng, maxLength);
    inputs++;
    for (const name of names) {
      if ((failuresOf[name] as number) >= maxPerTarget) continue;
      if (options.skipInput?.(name, input)) continue;
      const target = targets[name] as Target;
      calls[name] = (calls[name] as number) + 1;
      let elapsed = 0;
      try {
        const t0 = performance.now();
        const ok = target(input);
        elapsed = performance.now() - t0;
        if (ok === true) accepted[name] = (accepted[name] as number) + 1;
      } catch (e) {
        const invariant = e instanceof InvariantError;
        fail({
          target: name,
          kind: invariant ? 'invariant' : 'threw',
          input,
          detail: invariant
            ? (e as Error).message
            : e instanceof Error
              ? (e.stack ?? String(e))
              : `threw ${String(e)}`,
        });
        continue;
      }
      if (elapsed > slowMs) {
        // Confirm on two more tries: a GC pause or a JIT hiccup is not a hang (ten times over is no hiccup).
        let best = elapsed;
        for (let k = 0; k < 2 && best > slowMs && best < 10 * slowMs; k++) {
          const t0 = performance.now();
          try {
            target(input);
          } catch {
            // reported above if it matters
          }
          best = Math.min(best, performance.now() - t0);
        }
        if (best > slowMs) fail({ target: name, kind: 'slow', input, detail: `took ${best.toFixed(1)} ms` });
      }
    }
  }
  return { seed, inputs, elapsedMs: performance.now() - started, calls, accepted, skipped, failures };
}

export function formatReport(r: FuzzReport): string {
  const lines = [
    `fuzz: ${r.inputs} inputs in ${(r.elapsedMs / 1000).toFixed(1)} s, seed ${r.seed}`,
    ...Object.keys(r.calls).map(
      (n) =>
        `  ${n.padEnd(20)} ${String(r.calls[n]).padStart(9)} calls, ${String(r.accepted[n]).padStart(8)} accepted`,
    ),
  ];
  for (const s of r.skipped) lines.push(`  skipped: ${s}`);
  lines.push(r.failures.length === 0 ? 'fuzz: no failures' : `fuzz: ${r.failures.length} FAILURES`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const arg = process.argv.slice(2).find((a) => /^[0-9.]+$/.test(a));
  const seconds = Number(arg ?? process.env['FUZZ_SECONDS'] ?? 60);
  const seedText = process.env['FUZZ_SEED'];
  const slowText = process.env['FUZZ_SLOW_MS'];
  const onlyText = process.env['FUZZ_TARGETS'];
  const report = await runFuzz({
    budgetMs: seconds * 1000,
    ...(onlyText === undefined ? {} : { only: onlyText.split(',') }),
    ...(seedText === undefined ? {} : { seed: Number(seedText) }),
    ...(slowText === undefined ? {} : { slowMs: Number(slowText) }),
    log: (line) => console.error(line),
  });
  console.log(formatReport(report));
  process.exitCode = report.failures.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
