/**
 * The messages the server process (primary) and its gateway workers exchange over the cluster IPC
 * channel. Every message carries `ipgate` so that messages of other libraries on the same channel
 * (Node's own cluster traffic, prom-client's aggregator) are never mistaken for ours.
 */

/** Primary → worker. */
export type ToWorker =
  /** Pick up the store's changes now and acknowledge with `refreshed` and the same id. */
  | { readonly ipgate: 'refresh'; readonly id: number }
  /** Stop accepting, drain, flush records, close the store, exit 0. */
  | { readonly ipgate: 'stop' };

/** Worker → primary. */
export type FromWorker =
  /** The gateway is listening; `url` is the shared proxy address as bound. */
  | { readonly ipgate: 'listening'; readonly url: string }
  /** The worker could not start; it exits after sending this. */
  | {
      readonly ipgate: 'failed';
      readonly message: string;
      /** Set when the cause was an IpGateError (a setting that cannot work): the primary reports it as one. */
      readonly error?: { readonly code: string; readonly field?: string; readonly hint?: string } | undefined;
    }
  /** A refresh is done (`error` unset) or failed (the store could not be read). */
  | { readonly ipgate: 'refreshed'; readonly id: number; readonly error?: string | undefined };

/**
 * Narrows an IPC message to one of ours.
 *
 * @example
 * worker.on('message', (m) => { if (isFromWorker(m) && m.ipgate === 'listening') console.log(m.url); });
 */
export function isFromWorker(message: unknown): message is FromWorker {
  return isTagged(message, ['listening', 'failed', 'refreshed']);
}

/**
 * Narrows an IPC message to one of ours.
 *
 * @example
 * process.on('message', (m) => { if (isToWorker(m) && m.ipgate === 'stop') void stop(); });
 */
export function isToWorker(message: unknown): message is ToWorker {
  return isTagged(message, ['refresh', 'stop']);
}

function isTagged(message: unknown, tags: readonly string[]): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    tags.includes(String((message as { ipgate?: unknown }).ipgate))
  );
}
