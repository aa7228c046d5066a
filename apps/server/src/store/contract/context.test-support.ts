/**
 * What every part of the store contract shares: the store under test (opened once per run by
 * storeContract), the factory, and the helpers that check a write's change and audit event.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpGateError } from '@ipgate/core';
import { expect } from 'vitest';
import type { Store } from '../store.js';
import type { StoreFactory } from '../test-stores.test-support.js';

export const ACTOR = 'user:contract';
export const as = { actor: ACTOR };

/** What a rejected call must carry. */
export interface Expected {
  readonly code?: string;
  readonly status?: number;
  readonly field?: string;
  readonly index?: number;
}

/** The store kind under test, and its shared store (open from the suite's first hook on). */
export interface ContractContext {
  readonly factory: StoreFactory;
  store(): Store;
}

/**
 * The checks every part uses, bound to the shared store.
 *
 * @example const { rejects, changes, tenant } = contractHelpers(context);
 */
export function contractHelpers(context: ContractContext) {
  /** Runs `call`, expects an IpGateError like `expected`, and that no change was committed. */
  async function rejects(call: () => Promise<unknown>, expected: Expected): Promise<IpGateError> {
    const before = await context.store().currentVersion();
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'the call should have failed').toBeInstanceOf(IpGateError);
    expect(error).toMatchObject(expected);
    expect(await context.store().currentVersion(), 'a failed call must write no change').toBe(before);
    return error as IpGateError;
  }

  /** Runs `call` and expects exactly one change of `action` with its audit event. */
  async function changes<T>(
    action: string,
    call: () => Promise<T>,
    scope: { tenantId?: string | null; keyId?: string | null; apiId?: string | null } = {},
  ): Promise<T> {
    const before = await context.store().currentVersion();
    const result = await call();
    const after = await context.store().changesSince(before);
    expect(after.map((c) => c.kind)).toEqual([action]);
    expect(after[0]).toMatchObject(scope);
    const [event] = (await context.store().listAllAuditEvents({ limit: 1 })).items;
    expect(event).toMatchObject({ action, actor: ACTOR, changeVersion: after[0]?.version });
    return result;
  }

  const tenant = (name = 'Acme', extra: Partial<Parameters<Store['createTenant']>[0]> = {}) =>
    context.store().createTenant({ name, ...extra }, as);

  return { rejects, changes, tenant };
}

/** Follows cursors until the last page; fails on a loop. */
export async function collect<T>(
  read: (cursor: string | undefined) => Promise<{ items: readonly T[]; nextCursor: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await read(cursor);
    all.push(...page.items);
    if (page.nextCursor === undefined) return all;
    cursor = page.nextCursor;
  }
  throw new Error('more than 1000 pages: the cursor does not advance');
}

const WRITER = fileURLToPath(new URL('../durability-writer.test-support.ts', import.meta.url));

/**
 * Starts the writer, SIGKILLs it once it has acknowledged `atLeast` writes, and returns every id it
 * acknowledged (read to the end of its output, so ids still in the pipe count too).
 */
export function writeUntilKilled(location: string, tenantId: string, atLeast: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, location, tenantId], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ids: string[] = [];
    let partial = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer acknowledged only ${ids.length} writes in 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      ids.push(...lines.filter((l) => l !== ''));
      if (!killed && ids.length >= atLeast) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL')
        reject(new Error(`the writer ended on its own (${signal}); stderr: ${stderr}`));
      // A line without its newline was cut by the kill: it was never acknowledged.
      else resolve(ids);
    });
  });
}
