/**
 * IpSet against node:net BlockList, ipaddr.js, proxy-addr and cidr-matcher.
 *
 *   npm run bench             # full run, a few minutes
 *   npm run bench -- --quick  # smaller samples, peers skipped at 1,000,000 entries
 *   node --expose-gc bench/ipset.bench.mjs --only=v4-1m-realistic,v6-1m   # some lists only (keys below)
 *
 * Needs `node --expose-gc` for the memory figures (the npm script passes it).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { scanIPv4, scanIPv6 } from '@ipgate/core';
import {
  createReference,
  crossCheck,
  edgeCases,
  entryContaining,
  median,
  randomIPv4Cidrs,
  randomIPv6Cidrs,
  randomMixedCidrs,
  randomQueries,
  realisticIPv4List,
} from './data.mjs';
import { ipgate, libraries } from './libraries.mjs';

const quick = process.argv.includes('--quick');
/** `--only=key,key`: just these lists (the `key` of each scenario below). */
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const settings = quick
  ? { queries: 20_000, lookupMs: 250, checkMs: 250, buildMs: 150, peersUpTo: 100_000 }
  : { queries: 100_000, lookupMs: 800, checkMs: 1200, buildMs: 400, peersUpTo: 1_000_000 };
/** Below this many lookups a second a peer is checked and timed on a bounded sample only. */
const SAMPLE_BELOW = 20_000;
const gc = globalThis.gc;
const now = () => process.hrtime.bigint();
const elapsedNs = (from) => Number(now() - from);
let sink = 0;

// ——— Scenarios ———

const allScenarios = [
  {
    key: 'v4-10',
    label: '10 IPv4 CIDRs',
    make: () => randomIPv4Cidrs(10, 101),
    querySets: ['IPv4', 'IPv4-mapped'],
  },
  {
    key: 'v4-1k',
    label: '1,000 IPv4 CIDRs',
    make: () => randomIPv4Cidrs(1_000, 102),
    querySets: ['IPv4', 'IPv4-mapped'],
  },
  {
    key: 'v4-100k',
    label: '100,000 IPv4 CIDRs',
    make: () => randomIPv4Cidrs(100_000, 103),
    querySets: ['IPv4'],
  },
  {
    key: 'v4-1m',
    label: '1,000,000 IPv4 CIDRs',
    make: () => randomIPv4Cidrs(1_000_000, 104),
    querySets: ['IPv4', 'IPv4-mapped'],
    breakdown: true,
  },
  {
    key: 'v4-1m-realistic',
    label: '1,000,000 IPv4, realistic shape',
    make: () => realisticIPv4List(1_000_000, 107),
    querySets: ['IPv4'],
    only: 'ipgate',
    why: 'ipgate only: the build figure for the 1 s target on lists as people keep them (80 % single addresses, written without a prefix, which the peers here do not take)',
  },
  {
    key: 'mixed-10k',
    label: '10,000 mixed IPv4/IPv6',
    make: () => randomMixedCidrs(10_000, 105),
    querySets: ['mixed', 'IPv6', 'IPv4-mapped'],
  },
  {
    key: 'v6-1m',
    label: '1,000,000 IPv6 CIDRs',
    make: () => randomIPv6Cidrs(1_000_000, 106),
    querySets: ['IPv6'],
    only: 'ipgate',
    why: 'ipgate only: the IPv6 figure for the 300 ns target; every peer scans 1,000,000 entries per lookup',
    breakdown: true,
  },
];
const unknown = only?.filter((key) => !allScenarios.some((s) => s.key === key)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown list ${unknown.join(', ')} in --only; the lists are ${allScenarios.map((s) => s.key).join(', ')}.\n`,
  );
  process.exit(2);
}
const scenarios = allScenarios.filter((s) => only === undefined || only.includes(s.key));

const queryOptions = {
  IPv4: { family: 4 },
  'IPv4-mapped': { family: 4, mapped: true },
  IPv6: { family: 6 },
  mixed: { family: 'mixed' },
};

// ——— Measurement ———

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Heap + external after full collections; the pauses let V8 free array buffers, which it does off-thread. */
async function memory() {
  if (gc === undefined) return undefined;
  for (let k = 0; k < 3; k++) {
    gc();
    await pause(30);
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

/** CPU milliseconds of this process (every thread: the collector's helpers count) since `from`. */
function cpuMsSince(from) {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}

/**
 * Builds once with memory measured around it, then again until the time budget for a median. Each build's
 * CPU time is kept beside its wall time: on a machine shared with other work the wall time grows with
 * the load, the CPU time much less (what the build costs; the wall figure is the target's, on a quiet machine).
 */
async function build(lib, entries, minimum) {
  const before = await memory();
  const start = now();
  const cpu = process.cpuUsage();
  const matcher = lib.build(entries);
  const cpuTimes = [cpuMsSince(cpu)];
  const times = [elapsedNs(start) / 1e6];
  const after = await memory();
  while (times.length < minimum || (sum(times) < settings.buildMs && times.length < 25)) {
    const t = now();
    const c = process.cpuUsage();
    sink += lib.build(entries) === undefined ? 1 : 0;
    cpuTimes.push(cpuMsSince(c));
    times.push(elapsedNs(t) / 1e6);
  }
  const n = entries.length;
  return {
    matcher,
    buildMs: median(times),
    buildCpuMs: median(cpuTimes),
    firstBuildMs: times[0],
    builds: times.length,
    bytesPerEntry: before === undefined ? Number.NaN : (after.heap - before.heap) / n,
    rssPerEntry: before === undefined ? Number.NaN : (after.rss - before.rss) / n,
  };
}

function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

/** Answers for the first queries, as many as fit in the time budget (all of them for fast libraries). */
function answers(lib, matcher, texts) {
  const out = [];
  let errors = 0;
  let firstError;
  const start = now();
  const budget = settings.checkMs * 1e6;
  for (let k = 0; k < texts.length; k++) {
    try {
      out.push(lib.has(matcher, texts[k]) === true);
    } catch (error) {
      out.push(false);
      errors++;
      firstError ??= `${texts[k]}: ${error.message}`;
    }
    if (k >= 50 && (k & 7) === 7 && elapsedNs(start) > budget) break;
  }
  return { answers: out, errors, firstError };
}

/**
 * Median ns per lookup over batches of about 2 ms each, and lookups per second over all of them.
 * Batches walk through the queries in order and wrap around.
 */
function lookups(lib, matcher, texts) {
  // Calibrate (and warm up): grow a batch until it takes 1 ms.
  let size = 1;
  let perLookup = 0;
  for (;;) {
    const t = now();
    sink += lib.batch(matcher, texts, 0, size);
    perLookup = elapsedNs(t) / size;
    if (perLookup * size >= 1e6 || size >= texts.length) break;
    size = Math.min(texts.length, size * 4);
  }
  const batch = Math.max(1, Math.min(texts.length, 20_000, Math.round(2e6 / perLookup)));
  const warm = now();
  for (let pos = 0; elapsedNs(warm) < settings.lookupMs * 1e5; pos = (pos + batch) % texts.length) {
    sink += lib.batch(matcher, texts, pos, Math.min(texts.length, pos + batch));
  }
  const samples = [];
  let total = 0;
  let totalNs = 0;
  let pos = 0;
  let seen = 0;
  const start = now();
  while (samples.length < 5 || elapsedNs(start) < settings.lookupMs * 1e6) {
    if (pos + batch > texts.length) pos = 0;
    const t = now();
    sink += lib.batch(matcher, texts, pos, pos + batch);
    const dt = elapsedNs(t);
    samples.push(dt / batch);
    total += batch;
    totalNs += dt;
    pos += batch;
    seen = Math.max(seen, pos);
  }
  return { medianNs: median(samples), perSecond: total / (totalNs / 1e9), lookups: total, distinct: seen };
}

// ——— Output helpers ———

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
function fmtRate(perSecond) {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}
function fmtNs(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(1)} ns`;
}
function fmtMs(ms) {
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3);
}
const fmtBytes = (b) => (Number.isNaN(b) ? 'n/a' : b.toFixed(1));
function fmtRatio(r) {
  if (!Number.isFinite(r)) return '—';
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}
function table(head, rows) {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}
function log(line) {
  process.stdout.write(`${line}\n`);
}
function cpuModel() {
  try {
    return (
      execFileSync('lscpu', { encoding: 'utf8' })
        .split('\n')
        .find((l) => l.startsWith('Model name'))
        ?.replace(/^Model name:\s*/, '') ?? os.cpus()[0]?.model
    );
  } catch {
    return os.cpus()[0]?.model;
  }
}

// ——— The run ———

const loadBefore = os.loadavg();
const runStart = now();
log(`# ipgate IpSet benchmark${quick ? ' (--quick)' : ''}`);
log('');
log(
  `node ${process.version}, ${os.availableParallelism?.() ?? os.cpus().length} cores (${cpuModel()}), ` +
    `load average at start ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
);
log(
  `${fmtInt(settings.queries)} queries per set (half inside an entry, half outside every entry, seeded order); ` +
    `lookups timed ${settings.lookupMs} ms per library and query set in batches of ~2 ms (median of batches).`,
);
if (gc === undefined) log('WARNING: run with node --expose-gc for memory figures.');
log('');

const rows = [];
const disagreements = [];
const notes = [];
const breakdowns = [];

for (const scenario of scenarios) {
  const t0 = now();
  const list = scenario.make();
  const reference = createReference(list);
  const sets = scenario.querySets.map((name, i) => ({
    name,
    ...randomQueries(list, settings.queries, 1000 + i, { ...queryOptions[name], reference }),
  }));
  const n = list.entries.length;
  log(`## ${scenario.label} (data ${fmtInt(elapsedNs(t0) / 1e6)} ms)`);

  for (const lib of libraries) {
    if (scenario.only !== undefined && lib.name !== scenario.only) {
      if (lib === libraries[1]) notes.push(`${scenario.label}: ${scenario.why}.`);
      continue;
    }
    if (lib !== ipgate && n > settings.peersUpTo) {
      if (lib === libraries[1])
        notes.push(`${scenario.label}: peers skipped under --quick (they scan every entry).`);
      continue;
    }
    let built;
    try {
      built = await build(lib, list.entries, lib === ipgate && list.family === 4 ? 3 : 1);
    } catch (error) {
      notes.push(`${scenario.label}: ${lib.name} could not build the list: ${error.message}`);
      continue;
    }
    for (const set of sets) {
      const checked = answers(lib, built.matcher, set.texts);
      const check = crossCheck(set.texts, set.expected, checked.answers);
      await memory();
      let timing;
      try {
        timing = lookups(lib, built.matcher, set.texts);
      } catch (error) {
        timing = { medianNs: Number.NaN, perSecond: Number.NaN, lookups: 0, distinct: 0 };
        notes.push(`${scenario.label}, ${set.name}: ${lib.name} threw while timed: ${error.message}`);
      }
      const sampled = check.checked < set.texts.length || timing.perSecond < SAMPLE_BELOW;
      const row = {
        scenario: scenario.label,
        entries: n,
        querySet: set.name,
        library: lib.name,
        ...timing,
        buildMs: built.buildMs,
        buildCpuMs: built.buildCpuMs,
        firstBuildMs: built.firstBuildMs,
        builds: built.builds,
        bytesPerEntry: built.bytesPerEntry,
        rssPerEntry: built.rssPerEntry,
        checked: check.checked,
        mismatches: check.mismatches,
        sampled,
      };
      rows.push(row);
      if (check.mismatches > 0 || checked.errors > 0) {
        disagreements.push({ row, check, errors: checked.errors, firstError: checked.firstError, set, list });
      }
      log(
        `  ${lib.name.padEnd(12)} ${set.name.padEnd(11)} ${fmtRate(timing.perSecond).padStart(11)} ` +
          `median ${fmtNs(timing.medianNs).padStart(9)}  build ${fmtMs(built.buildMs).padStart(7)} ms  ` +
          `${fmtBytes(built.bytesPerEntry).padStart(7)} B/entry  checked ${fmtInt(check.checked)}` +
          (check.mismatches > 0 ? `, ${fmtInt(check.mismatches)} WRONG` : '') +
          (checked.errors > 0 ? `, ${fmtInt(checked.errors)} threw` : '') +
          (sampled ? ` (sample: ${fmtInt(timing.distinct)} distinct queries timed)` : ''),
      );
    }
    if (lib === ipgate && scenario.breakdown)
      breakdowns.push(await breakdown(scenario, built.matcher, sets[0]));
    built = undefined;
  }
  log('');
}

/** Where an ipgate lookup's time goes: parsing the text, then searching the table. */
async function breakdown(scenario, set, queries) {
  const six = queries.name === 'IPv6';
  const words = new Uint32Array(4);
  const parseOnly = {
    name: six ? 'scanIPv6 only (parse, no search)' : 'scanIPv4 only (parse, no search)',
    batch(_, texts, from, to) {
      let hits = 0;
      if (six) for (let k = from; k < to; k++) hits += scanIPv6(texts[k], 0, texts[k].length, words) ? 1 : 0;
      else for (let k = from; k < to; k++) hits += scanIPv4(texts[k], 0, texts[k].length) >= 0 ? 1 : 0;
      return hits;
    },
  };
  const tiny = ipgate.build(six ? ['2001:db8::/32'] : ['10.0.0.0/8']);
  const sorted = [...queries.texts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const runs = [
    [parseOnly.name, parseOnly, undefined, queries.texts],
    ['has() on a 1-entry set (parse + trivial search)', ipgate, tiny, queries.texts],
    [`has() on the ${scenario.label} set, random order`, ipgate, set, queries.texts],
    [`has() on the ${scenario.label} set, queries sorted as text`, ipgate, set, sorted],
  ];
  const parts = [];
  for (const [what, lib, matcher, texts] of runs) {
    await memory();
    parts.push({ what, ...lookups(lib, matcher, texts) });
  }
  return { scenario: scenario.label, parts };
}

/** Each library's answer to each hand-picked input: true, false, 'throws' or 'rejects the entry'. */
function edgeAnswers() {
  return edgeCases.map((c) => {
    const cells = libraries.map((lib) => {
      let matcher;
      try {
        matcher = lib.build(c.entries);
      } catch {
        return 'rejects the entry';
      }
      try {
        return lib.has(matcher, c.input) === true;
      } catch {
        return 'throws';
      }
    });
    return { ...c, cells };
  });
}
const edges = edgeAnswers();

// ——— Report ———

const loadAfter = os.loadavg();
const by = (scenario, querySet, library) =>
  rows.find((r) => r.scenario === scenario && r.querySet === querySet && r.library === library);

log('## Results');
log('');
log(
  table(
    [
      'list',
      'queries',
      'library',
      'lookups/s',
      'median / lookup',
      'build ms',
      'B/entry (heap)',
      'B/entry (RSS)',
      'answers checked',
      'wrong',
    ],
    rows.map((r) => [
      r.scenario,
      r.querySet,
      r.library,
      fmtRate(r.perSecond),
      fmtNs(r.medianNs),
      fmtMs(r.buildMs),
      r.entries >= 1_000 ? fmtBytes(r.bytesPerEntry) : '—',
      r.entries >= 100_000 ? fmtBytes(r.rssPerEntry) : '—',
      fmtInt(r.checked) + (r.sampled ? ' (sample)' : ''),
      fmtInt(r.mismatches),
    ]),
  ),
);
log('');
log(
  'B/entry (heap) is the growth of V8 heap + external memory after gc, per entry, with the structure held;',
);
log(
  'B/entry (RSS) is the growth of the resident set, the only place native memory (BlockList) shows; it is coarse, so it is printed from 100,000 entries up, heap figures from 1,000 up.',
);
log(
  'Build ms is the median of several builds (first one included); the entries are strings made beforehand.',
);
log('');

log('## Ratios (ipgate ÷ peer lookups/s; peer ÷ ipgate median, build time and bytes per entry), same run');
log('');
log(
  'Memory ratios from 100,000 entries up; BlockList by RSS (its rules live in native memory), others by heap.',
);
log('');
// BlockList keeps its rules in native memory, which only the resident set shows.
const memoryOf = (r) => (r.library === 'BlockList' ? r.rssPerEntry : r.bytesPerEntry);
const ratioRows = [];
for (const r of rows) {
  if (r.library === 'ipgate') continue;
  const g = by(r.scenario, r.querySet, 'ipgate');
  if (g === undefined) continue;
  ratioRows.push([
    r.scenario,
    r.querySet,
    r.library,
    fmtRatio(g.perSecond / r.perSecond),
    fmtRatio(r.medianNs / g.medianNs),
    fmtRatio(r.buildMs / g.buildMs),
    r.entries >= 100_000 ? fmtRatio(memoryOf(r) / g.bytesPerEntry) : '—',
  ]);
}
log(
  table(
    [
      'list',
      'queries',
      'peer',
      'lookups/s ipgate÷peer',
      'median ns peer÷ipgate',
      'build peer÷ipgate',
      'memory peer÷ipgate',
    ],
    ratioRows,
  ),
);
log('');

log('## Answers that differ from the reference (and from ipgate)');
log('');
const ipgateWrong = disagreements.filter((d) => d.row.library === 'ipgate');
if (ipgateWrong.length > 0) log('ipgate itself disagrees with the reference: see below. This is a bug.');
if (disagreements.length === 0) log('Every library gave the reference answer for every query checked.');
for (const d of disagreements) {
  const { row, check } = d;
  log(
    `- ${row.library}, ${row.scenario}, ${row.querySet} queries: ${fmtInt(check.mismatches)} of ${fmtInt(check.checked)} wrong ` +
      `(${fmtInt(check.falseAllows)} allowed that should be denied, ${fmtInt(check.mismatches - check.falseAllows)} denied that should be allowed)` +
      (d.errors > 0 ? `; ${fmtInt(d.errors)} threw, first: ${d.firstError}` : ''),
  );
  for (const e of check.examples) {
    const entry = entryContaining(d.list, d.set.families[e.index], d.set.values[e.index]);
    log(
      `  e.g. \`${e.query}\` → ${e.got}, expected ${!e.got}` +
        (entry !== undefined ? ` (inside the entry \`${entry}\`)` : ' (no entry contains it)'),
    );
  }
}
log('');

log("## Hand-picked inputs (answer per library; ✗ where it differs from ipgate's)");
log('');
const cell = (v, expected) => {
  if (typeof v === 'boolean') return `${v}${v === expected ? '' : ' ✗'}`;
  return v === 'throws' && !expected ? 'throws' : `${v} ✗`;
};
log(
  table(
    ['list', 'input', 'case', 'expected', ...libraries.map((l) => l.name)],
    edges.map((e) => [
      `\`${e.entries.join(', ')}\``,
      `\`${e.input}\``,
      e.why,
      String(e.expected),
      ...e.cells.map((v) => cell(v, e.expected)),
    ]),
  ),
);
log('');
log('"throws" on an input that should be denied is not marked: a caller that catches it denies.');
log('');

if (breakdowns.length > 0) {
  log('## Where ipgate spends a lookup');
  log('');
  const parts = [];
  for (const b of breakdowns)
    for (const p of b.parts) parts.push([b.scenario, p.what, fmtRate(p.perSecond), fmtNs(p.medianNs)]);
  log(table(['list', 'what', 'lookups/s', 'median / lookup'], parts));
  log('');
}

if (notes.length > 0) {
  log('## Notes');
  log('');
  for (const note of notes) log(`- ${note}`);
  const sampled = rows.filter((r) => r.sampled);
  for (const r of sampled) {
    log(
      `- ${r.library}, ${r.scenario}, ${r.querySet}: bounded sample, ${fmtInt(r.checked)} answers checked and ` +
        `${fmtInt(r.lookups)} lookups timed over ${fmtInt(r.distinct)} distinct queries (it scans every entry per lookup).`,
    );
  }
  log('');
}

log('## Targets');
log('');
const targets = [];
function target(text, figure, met) {
  targets.push({ text, figure, met });
  log(`- ${met === undefined ? 'NOT MEASURED' : met ? 'MET' : 'NOT MET'}: ${text}: ${figure}`);
}
const v4m = by('1,000,000 IPv4 CIDRs', 'IPv4', 'ipgate');
const v4real = by('1,000,000 IPv4, realistic shape', 'IPv4', 'ipgate');
const v6m = by('1,000,000 IPv6 CIDRs', 'IPv6', 'ipgate');
const v6mixed = by('10,000 mixed IPv4/IPv6', 'IPv6', 'ipgate');
const k1 = by('1,000 IPv4 CIDRs', 'IPv4', 'ipgate');
const k1b = by('1,000 IPv4 CIDRs', 'IPv4', 'BlockList');
if (v4m !== undefined) {
  target(
    '1,000,000 IPv4 entries, lookup from a string ≤ 150 ns (median)',
    fmtNs(v4m.medianNs),
    v4m.medianNs <= 150,
  );
  target(
    '1,000,000 IPv4 entries, build < 1 s',
    `${fmtMs(v4m.buildMs)} ms (median of ${v4m.builds}; first ${fmtMs(v4m.firstBuildMs)} ms; CPU ${fmtMs(v4m.buildCpuMs)} ms)`,
    v4m.buildMs < 1000,
  );
  target(
    '1,000,000 IPv4 entries, < 32 bytes per entry',
    `${fmtBytes(v4m.bytesPerEntry)} B/entry`,
    v4m.bytesPerEntry < 32,
  );
}
if (v4real !== undefined)
  target(
    '1,000,000 IPv4 entries of the realistic shape, build < 1 s',
    `${fmtMs(v4real.buildMs)} ms (median of ${v4real.builds}; first ${fmtMs(v4real.firstBuildMs)} ms; CPU ${fmtMs(v4real.buildCpuMs)} ms)` +
      (v4m === undefined
        ? ''
        : `, against ${fmtMs(v4m.buildMs)} ms (CPU ${fmtMs(v4m.buildCpuMs)} ms) for the spread of prefix lengths`),
    v4real.buildMs < 1000,
  );
if (v6m !== undefined)
  target('IPv6 lookup ≤ 300 ns (median), 1,000,000 IPv6 entries', fmtNs(v6m.medianNs), v6m.medianNs <= 300);
if (v6mixed !== undefined)
  target(
    'IPv6 lookup ≤ 300 ns (median), 10,000 mixed entries',
    fmtNs(v6mixed.medianNs),
    v6mixed.medianNs <= 300,
  );
if (k1 !== undefined && k1b !== undefined) {
  const ratio = k1.perSecond / k1b.perSecond;
  target(
    '1,000 entries, ipgate ≥ 50× BlockList (lookups/s)',
    `${fmtRatio(ratio)} (median ns ratio ${fmtRatio(k1b.medianNs / k1.medianNs)})`,
    ratio >= 50,
  );
}
log('');
log(
  `Run took ${fmtInt(elapsedNs(runStart) / 1e9)} s; load average at end ${loadAfter.map((l) => l.toFixed(2)).join(' ')}. ` +
    `(checksum ${sink % 1000})`,
);
