/**
 * Core pinning for the storm of the scale benchmark on a small machine: node B (the gateway measured)
 * gets a core of its own, and everything else the storm needs — node A, the PostgreSQL backends
 * serving both nodes, the benchmark process that drives the storm, wrk — shares the other. Without
 * it, on two cores, node A and PostgreSQL making the storm's changes take CPU from B's gateway, and
 * the drop in B's requests/s measures that contention rather than what the changes cost B.
 *
 * Pinning uses `taskset` (util-linux) and needs at least two cores; PostgreSQL backends are found by
 * the `application_name` each node connects with, and pinned when they are the current user's to
 * pin (root, or PostgreSQL running as the same user); otherwise they are left where they are and the
 * result says so.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Every core, read before anything is pinned (a pinned process sees only its own core). */
export const CORES = os.availableParallelism();

/** The core node B runs on, and the core for everything else. */
export const B_CORE = 1;
export const OTHER_CORE = 0;

/** Whether this machine can pin: two cores or more, and taskset. */
export function canPin() {
  if (CORES < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of process `pid` to `core`; false when taskset refused. */
export function pinProcess(pid, core) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Pins process `pid` and every process it started (a cluster's workers forked before the pin keep
 * the affinity they were born with): how many were pinned.
 */
export function pinTree(pid, core) {
  let pinned = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const p = pending.pop();
    if (pinProcess(p, core)) pinned++;
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children !== '') pending.push(...children.split(' ').map(Number));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return pinned;
}

/** Lets process `pid` run on every core again. */
export function unpinProcess(pid) {
  return pinProcess(pid, `0-${CORES - 1}`);
}

/** A store's `flags` with the PostgreSQL connection named `name`, so its backends can be found. */
export function namedConnection(store, name) {
  if (store.flags.databaseUrl === undefined) return store;
  const url = new URL(store.flags.databaseUrl);
  url.searchParams.set('application_name', name);
  return { ...store, flags: { ...store.flags, databaseUrl: url.toString() } };
}

/**
 * Pins the PostgreSQL backends of connections named `names` to `core`: `{ found, pinned }`. Run it
 * before each measurement: a pool may have opened new connections since.
 */
export async function pinBackends(connectionString, names, core) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query(
      'select pid from pg_stat_activity where application_name = any($1::text[])',
      [names],
    );
    let pinned = 0;
    for (const { pid } of rows) if (pinProcess(pid, core)) pinned++;
    return { found: rows.length, pinned };
  } finally {
    await client.end();
  }
}
