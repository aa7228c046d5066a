/**
 * Two builds' `ipgate serve` start, in turn: from spawn to the "ipgate started" log (which follows the
 * banner), on a new SQLite data directory each time, free ports, one gateway process. Reports wall
 * time and the CPU time of the server process (all its threads, from /proc at that moment): on a
 * loaded machine the wall time swings with the load, the CPU time much less; alternating the builds
 * round by round puts any drift on both.
 *
 *   node bench/serve-start-ab.mjs /work/old-1c5590d [rounds=8]
 *
 * The first build is the other tree's, the second this tree's. Prints both medians and new ÷ old.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [oldTree, rounds = '8'] = process.argv.slice(2);
if (oldTree === undefined) throw new Error('usage: node bench/serve-start-ab.mjs <old tree> [rounds]');
const trees = [resolve(oldTree), fileURLToPath(new URL('..', import.meta.url))];
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU ms of a process (user + system, every thread) from /proc/<pid>/stat. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function startOnce(tree) {
  return new Promise((done, fail) => {
    const data = mkdtempSync(join(tmpdir(), 'ipgate-serve-start-'));
    const t0 = performance.now();
    const args = ['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--data-dir', data];
    const child = spawn(
      process.execPath,
      [join(tree, 'apps/cli/bin/ipgate.js'), ...args, '--log-level', 'info'],
      {
        cwd: tree,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    let result;
    const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stderr.on('data', (b) => {
      err += b;
      if (result !== undefined || !/"msg":"ipgate started"/.test(err)) return;
      result = { wallMs: performance.now() - t0, cpuMs: cpuMs(child.pid) };
      child.kill('SIGTERM');
    });
    child.on('exit', () => {
      clearTimeout(limit);
      rmSync(data, { recursive: true, force: true });
      result === undefined ? fail(new Error(`no start:\n${err}`)) : done(result);
    });
  });
}

const runs = trees.map(() => []);
for (let r = 0; r < Number(rounds); r++) {
  const order = r % 2 === 0 ? [0, 1] : [1, 0];
  for (const i of order) runs[i].push(await startOnce(trees[i]));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = runs.map((rs) => ({ wall: median(rs.map((x) => x.wallMs)), cpu: median(rs.map((x) => x.cpuMs)) }));
trees.forEach((tree, i) => {
  const all = runs[i].map((x) => `${x.wallMs.toFixed(0)}/${x.cpuMs}`).join(' ');
  console.log(
    `${tree}: median wall ${m[i].wall.toFixed(0)} ms, CPU ${m[i].cpu} ms  (wall/CPU per round: ${all})`,
  );
});
console.log(`new ÷ old: wall ${(m[1].wall / m[0].wall).toFixed(3)}, CPU ${(m[1].cpu / m[0].cpu).toFixed(3)}`);
