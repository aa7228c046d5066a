import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, IpGateError } from '@ipgate/core';
import type { ServeSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { type FromWorker, isFromWorker } from './cluster-messages.js';

type FailedError = Extract<FromWorker, { ipgate: 'failed' }>['error'];

/** Options of {@link startWorkerPool}. */
export interface WorkerPoolOptions {
  /** Passed to every worker as they are; `listen` is the shared proxy port. */
  readonly settings: ServeSettings;
  /** Number of gateway workers (already resolved: at least 1). */
  readonly count: number;
  readonly logger: Logger;
  /** How long the first start of all workers may take; default 30 s. */
  readonly startTimeoutMs?: number | undefined;
  /** How long a worker may take to acknowledge a refresh before `refreshAll` fails; default 10 s. */
  readonly refreshTimeoutMs?: number | undefined;
  /** How long `close` waits for a worker to drain before killing it; default 15 s (the gateway drains for 10). */
  readonly stopTimeoutMs?: number | undefined;
  /** Aborted while the workers start: they are stopped and the start rejects. */
  readonly signal?: AbortSignal | undefined;
}

/** Gateway workers on one shared proxy port. */
export interface WorkerPool {
  /** The proxy address the workers share, as bound. */
  readonly url: string;
  /** Process ids of the workers now running. */
  readonly pids: readonly number[];
  /**
   * Asks every running worker (starting ones included) to pick up the store's changes and resolves
   * when all have acknowledged; a worker that dies meanwhile counts as done (its replacement loads
   * the store after the change). Rejects when a worker could not read the store or did not answer.
   */
  refreshAll(): Promise<void>;
  /** Stops replacing workers, asks each to drain and exit, kills the ones that overrun. Idempotent. */
  close(): Promise<void>;
}

interface Member {
  readonly worker: Worker;
  readonly startedAt: number;
  listening: boolean;
  readonly pending: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
}

/**
 * Forks `count` gateway workers (node:cluster; on Linux the primary accepts and hands connections out
 * round-robin), waits until every one listens, and replaces any worker that dies, logging it. Must be
 * called in the primary process, once.
 *
 * @example
 * const pool = await startWorkerPool({ settings, count: 2, logger });
 * pool.url; // 'http://127.0.0.1:8080'
 * await pool.refreshAll(); // after a write: every worker enforces it
 * await pool.close();
 */
export async function startWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const { logger, count } = options;
  const refreshTimeoutMs = options.refreshTimeoutMs ?? 10_000;
  const members = new Map<number, Member>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;
  let refreshSeq = 0;
  let quickDeaths = 0;
  let url: string | undefined;
  let onStartEvent:
    | ((event: { listening?: string; failed?: string; error?: FailedError | undefined }) => void)
    | undefined;

  cluster.setupPrimary(workerScript());

  function fork(): Member {
    const worker = cluster.fork({ IPGATE_WORKER_SETTINGS: JSON.stringify(options.settings) });
    const member: Member = { worker, startedAt: Date.now(), listening: false, pending: new Map() };
    members.set(worker.id, member);
    worker.on('message', (message: unknown) => {
      if (!isFromWorker(message)) return;
      if (message.ipgate === 'listening') {
        member.listening = true;
        url ??= message.url;
        if (message.url !== url)
          logger.error(
            { pid: worker.process.pid, url: message.url, expected: url },
            'worker bound elsewhere',
          );
        onStartEvent?.({ listening: message.url });
      } else if (message.ipgate === 'failed') {
        onStartEvent?.({ failed: message.message, error: message.error });
      } else {
        const waiter = member.pending.get(message.id);
        member.pending.delete(message.id);
        if (message.error === undefined) waiter?.resolve();
        else
          waiter?.reject(
            new Error(`gateway worker ${worker.process.pid} could not refresh: ${message.error}`),
          );
      }
    });
    worker.on('exit', (code, signal) => {
      members.delete(worker.id);
      // Its replacement reads the store after every change made so far.
      for (const waiter of member.pending.values()) waiter.resolve();
      member.pending.clear();
      if (closing !== undefined) return;
      onStartEvent?.({ failed: `worker exited with ${signal ?? code} while starting` });
      if (onStartEvent !== undefined) return;
      // Back off when workers die right after starting (a store that cannot be opened, a bad
      // upstream certificate…), so a broken set-up does not fork in a tight loop.
      quickDeaths = Date.now() - member.startedAt < 5_000 ? quickDeaths + 1 : 0;
      const delay = Math.min(100 * 2 ** quickDeaths, 10_000);
      logger.error(
        { pid: worker.process.pid, code, signal, restartInMs: delay },
        'gateway worker died; starting a replacement',
      );
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (closing !== undefined) return;
        const replacement = fork();
        logger.info({ pid: replacement.worker.process.pid }, 'gateway worker started (replacement)');
      }, delay);
      restartTimers.add(timer);
    });
    return member;
  }

  async function stopAll(): Promise<void> {
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
    await Promise.all(
      [...members.values()].map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const killer = setTimeout(() => {
              logger.warn({ pid: worker.process.pid }, 'gateway worker did not drain in time; killing it');
              worker.process.kill('SIGKILL');
            }, stopTimeoutMs);
            worker.once('exit', () => {
              clearTimeout(killer);
              resolve();
            });
            try {
              worker.send({ ipgate: 'stop' });
            } catch {
              worker.process.kill('SIGTERM'); // the channel is gone; the signal does the same
            }
          }),
      ),
    );
  }

  const close = (): Promise<void> => {
    closing ??= stopAll();
    return closing;
  };

  // First start: all of them listening, or none.
  let stopStart: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`gateway workers did not start within ${options.startTimeoutMs ?? 30_000} ms`)),
        options.startTimeoutMs ?? 30_000,
      );
      let listening = 0;
      stopStart = () => {
        clearTimeout(timer);
        reject(new Error('stopped while the gateway workers were starting'));
      };
      if (options.signal?.aborted === true) return stopStart();
      options.signal?.addEventListener('abort', stopStart, { once: true });
      onStartEvent = (event) => {
        if (event.failed !== undefined) {
          clearTimeout(timer);
          const e = event.error;
          reject(
            e === undefined
              ? new Error(`a gateway worker could not start: ${event.failed}`)
              : new IpGateError(e.code as ErrorCode, event.failed, {
                  ...(e.field === undefined ? {} : { field: e.field }),
                  ...(e.hint === undefined ? {} : { hint: e.hint }),
                }),
          );
        } else if (++listening === count) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (let i = 0; i < count; i++) {
        const member = fork();
        logger.info({ pid: member.worker.process.pid }, 'gateway worker started');
      }
    });
  } catch (e) {
    await close();
    throw e;
  } finally {
    onStartEvent = undefined;
    if (stopStart !== undefined) options.signal?.removeEventListener('abort', stopStart);
  }

  return {
    url: url as string,
    get pids() {
      return [...members.values()].flatMap((m) =>
        m.worker.process.pid === undefined ? [] : [m.worker.process.pid],
      );
    },
    async refreshAll() {
      const id = ++refreshSeq;
      await Promise.all(
        [...members.values()].map(
          (member) =>
            new Promise<void>((resolve, reject) => {
              const timer = setTimeout(() => {
                member.pending.delete(id);
                reject(
                  new Error(
                    `gateway worker ${member.worker.process.pid} did not acknowledge a refresh within ${refreshTimeoutMs} ms`,
                  ),
                );
              }, refreshTimeoutMs);
              const settle = (error?: Error): void => {
                clearTimeout(timer);
                if (error === undefined) resolve();
                else reject(error);
              };
              member.pending.set(id, { resolve: () => settle(), reject: settle });
              try {
                member.worker.send({ ipgate: 'refresh', id });
              } catch {
                // The channel closed: the worker is on its way out, and 'exit' settles this one.
              }
            }),
        ),
      );
    },
    close,
  };
}

/**
 * The worker script: the compiled `worker-main.js` beside this module, or — when this module runs
 * from TypeScript source (tests) — `worker-main.ts` through tsx.
 */
function workerScript(): { exec: string; execArgv?: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const exec = fileURLToPath(new URL(fromSource ? './worker-main.ts' : './worker-main.js', import.meta.url));
  // A larger young generation: fewer scavenges per second under load, so fewer requests wait
  // behind one (the gateway allocates per request; scavenges were a visible share of its p99).
  // Profiling flags the server process was started with (`--cpu-prof`, `--cpu-prof-dir=…`) apply to
  // the workers too: setting `execArgv` would otherwise drop them (bench/gateway-profile.mjs).
  const profiling = process.execArgv.filter((a) => /^--(cpu|heap)-prof/.test(a));
  const tuning = [...profiling, '--max-semi-space-size=32'];
  return fromSource ? { exec, execArgv: ['--import', 'tsx', ...tuning] } : { exec, execArgv: tuning };
}
