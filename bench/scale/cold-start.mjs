/**
 * One cold start, in a process of its own: open the store, load and compile every rule, report the
 * time and the memory. Run by bench/scale.bench.mjs with `--expose-gc`:
 *
 *   node --expose-gc bench/scale/cold-start.mjs '{"root":"…","store":{…}}'
 *
 * Prints one JSON line: `{ "loadMs", "loadCpuMs", "rssMb", "heapMb", "version", … }`. Memory is read after a full
 * garbage collection, so it is what the node keeps, not what loading left lying around; `peakRssMb`
 * is the most the process held at any point (from the kernel's high-water mark).
 */
import { readFileSync } from 'node:fs';
import { openStore, serverModule } from './stores.mjs';

const { root, store: where } = JSON.parse(process.argv[2] ?? '{}');
const { createSnapshotEngine } = await serverModule(root, 'snapshot/snapshot-engine.js');

const store = await openStore(root, where);
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const engine = createSnapshotEngine({ store });
await engine.refresh();
const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
// CPU time (every thread of the process: V8's GC helpers too) says what the load costs when other
// work on the machine stretches the wall-clock time.
const cpu = process.cpuUsage(cpuBefore);
globalThis.gc?.();
globalThis.gc?.();
const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
console.log(
  JSON.stringify({
    loadMs: Math.round(loadMs),
    loadCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    rssMb: Math.round(rss / 2 ** 20),
    peakRssMb: peak === undefined ? null : Math.round(Number(peak) / 1024),
    heapMb: Math.round(heapUsed / 2 ** 20),
    heapTotalMb: Math.round(heapTotal / 2 ** 20),
    externalMb: Math.round(external / 2 ** 20),
    arrayBuffersMb: Math.round(arrayBuffers / 2 ** 20),
    version: engine.version,
    problems: engine.current.problems?.length ?? 0,
  }),
);
engine.close();
await store.close();
