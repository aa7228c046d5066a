import { availableParallelism } from 'node:os';

/**
 * How many gateway workers the `workers` setting asks for: the number itself, or one per core for 0
 * (`auto`). The core count is read here, at start, not in the settings, so a config file written on
 * one machine means the same thing on another.
 *
 * @example
 * resolveWorkerCount(2); // 2
 * resolveWorkerCount(0); // os.availableParallelism(), e.g. 2 on a two-core machine
 */
export function resolveWorkerCount(setting: number): number {
  return setting === 0 ? availableParallelism() : setting;
}
