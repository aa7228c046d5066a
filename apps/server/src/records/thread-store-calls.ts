/**
 * The store writes a gateway's thread hands to the recorder thread besides its request records: run
 * there on the thread's own store connection, so that on SQLite — whose driver is synchronous — their
 * statements, their wait for the write lock and their commit's fsync never stop the gateway's event
 * loop (bench/README.md#auto-review). Each is answered once the thread's store has finished it: a
 * value answered is committed.
 */
import { type ErrorCode, IpGateError, isIpGateError } from '@ipgate/core';
import type { Store } from '../store/store.js';

/** The store's methods the recorder thread runs for the gateway's thread. */
export type ThreadStoreCalls = Pick<Store, 'recordEntryUsage' | 'autoAuthorizeAddresses' | 'holdKeyBurst'>;

/** One of {@link ThreadStoreCalls}' names. */
export type ThreadStoreMethod = keyof ThreadStoreCalls;

const METHODS: ReadonlySet<string> = new Set<ThreadStoreMethod>([
  'recordEntryUsage',
  'autoAuthorizeAddresses',
  'holdKeyBurst',
]);

/**
 * An error as it crosses between threads (a structured clone keeps an `Error`'s message but not its
 * class): an `IpGateError` keeps its code, hint, field and index, so callers still tell the store's
 * refusals from its failures.
 */
export interface ThreadError {
  readonly message: string;
  readonly ipgate?: {
    readonly code: string;
    readonly hint?: string | undefined;
    readonly field?: string | undefined;
    readonly index?: number | undefined;
  };
}

/**
 * Runs a call handed over by the gateway's thread on the thread's store; an unknown method is refused
 * (both sides come from one build, so it would be a bug, said plainly).
 *
 * @example
 * const value = await runStoreCall(store, message.method, message.input);
 */
export function runStoreCall(store: ThreadStoreCalls, method: string, input: unknown): Promise<unknown> {
  if (!METHODS.has(method))
    return Promise.reject(
      new Error(
        `the recorder thread runs no store call named ${JSON.stringify(method)}; one build on both sides?`,
      ),
    );
  // The store checks each input itself, as for any caller.
  return (store[method as ThreadStoreMethod] as (input: unknown) => Promise<unknown>).call(store, input);
}

/** `e` ready to cross to the other thread. */
export function toThreadError(e: unknown): ThreadError {
  if (isIpGateError(e))
    return {
      message: e.message,
      ipgate: { code: e.code, hint: e.hint, field: e.field, index: e.index },
    };
  return { message: e instanceof Error ? e.message : String(e) };
}

/** The error a {@link ThreadError} stands for: an `IpGateError` again when it was one. */
export function fromThreadError(e: ThreadError): Error {
  if (e.ipgate === undefined) return new Error(e.message);
  const { code, hint, field, index } = e.ipgate;
  return new IpGateError(code as ErrorCode, e.message, {
    ...(hint === undefined ? {} : { hint }),
    ...(field === undefined ? {} : { field }),
    ...(index === undefined ? {} : { index }),
  });
}
