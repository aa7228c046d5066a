import type { AutoAuthorizeResult, Store } from '../store/store.js';
import type { AutoAuthorization } from './auto-review.js';

/**
 * How long a tenant's first trusted address waits for others before the batch is written. The request
 * that revealed it has passed already (this process admits it meanwhile), so the period only delays
 * other nodes, which assess the address themselves; every batch's fixed cost (the transaction's reads,
 * the change, the commit, each node's refresh) is shared by the addresses of a whole second
 * (docs/architecture/review.md#auto-on-the-request-path).
 */
export const DEFAULT_FLUSH_MS = 1000;
/** A tenant's batch is written at once when it holds this many addresses. */
export const DEFAULT_MAX_BATCH = 500;

/** Options of {@link AutoWriter}. */
export interface AutoWriterOptions {
  readonly store: Pick<Store, 'autoAuthorizeAddresses'>;
  /**
   * Called once after each batch that changed the store, before the batch's callers are answered:
   * this process refreshes its snapshot, so that it holds the entries when the overlay drops them.
   */
  readonly written: () => Promise<unknown>;
  readonly flushMs?: number | undefined;
  readonly maxBatch?: number | undefined;
}

interface Waiting {
  readonly a: AutoAuthorization;
  readonly resolve: (r: AutoAuthorizeResult | Error) => void;
}

/**
 * The writer of the `auto` mode's authorizations, per process: gathers a tenant's trusted addresses
 * for `flushMs` (or until `maxBatch` of them) and writes them with one `Store.autoAuthorizeAddresses`
 * — one transaction, one change version, so every node recompiles the tenant once per batch instead
 * of once per address (docs/architecture/review.md#auto-on-the-request-path). A tenant's batches are
 * written one after the other; different tenants' independently.
 *
 * Nothing here is durable: an address whose batch was not written when the process stops is simply
 * assessed again on its next request (on this node or another). `close()` writes what is waiting.
 *
 * @example
 * const writer = new AutoWriter({ store, written: () => engine.refresh() });
 * const result = await writer.authorize(a); // { outcome: 'authorized', … } once the batch is written
 */
export class AutoWriter {
  private readonly flushMs: number;
  private readonly maxBatch: number;
  /** Addresses waiting for their tenant's next batch. */
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The batch being written per tenant: the next one waits for it. */
  private readonly writing = new Map<string, Promise<void>>();
  /** Batches written (for tests and metrics). */
  batches = 0;

  constructor(private readonly options: AutoWriterOptions) {
    this.flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isFinite(this.flushMs) || this.flushMs < 0)
      throw new Error(`flushMs must be a number of milliseconds from 0; got ${this.flushMs}.`);
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1 || this.maxBatch > 1000)
      throw new Error(`maxBatch must be a whole number from 1 to 1000; got ${this.maxBatch}.`);
  }

  /**
   * Queues a trusted address for its tenant's next batch; resolves with what the store did to it once
   * the batch is written and `written` has run, or rejects when the write failed.
   */
  authorize(a: AutoAuthorization): Promise<AutoAuthorizeResult> {
    return new Promise((resolve, reject) => {
      let queue = this.waiting.get(a.tenantId);
      if (queue === undefined) {
        queue = [];
        this.waiting.set(a.tenantId, queue);
      }
      queue.push({ a, resolve: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
      if (queue.length >= this.maxBatch) {
        this.flush(a.tenantId);
      } else if (!this.timers.has(a.tenantId)) {
        const timer = setTimeout(() => this.flush(a.tenantId), this.flushMs);
        timer.unref();
        this.timers.set(a.tenantId, timer);
      }
    });
  }

  /** Writes every tenant's waiting addresses now; resolves when all batches are written. */
  async close(): Promise<void> {
    for (const tenantId of [...this.waiting.keys()]) this.flush(tenantId);
    await Promise.all([...this.writing.values()]);
  }

  private flush(tenantId: string): void {
    const timer = this.timers.get(tenantId);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(tenantId);
    const batch = this.waiting.get(tenantId);
    this.waiting.delete(tenantId);
    if (batch === undefined || batch.length === 0) return;
    const before = this.writing.get(tenantId) ?? Promise.resolve();
    const run = before.then(() => this.write(tenantId, batch));
    this.writing.set(tenantId, run);
    void run.finally(() => {
      if (this.writing.get(tenantId) === run) this.writing.delete(tenantId);
    });
  }

  private async write(tenantId: string, batch: readonly Waiting[]): Promise<void> {
    let results: AutoAuthorizeResult[];
    try {
      results = await this.options.store.autoAuthorizeAddresses({
        tenantId,
        // Every node's rule is the same setting; the batch's first address carries it.
        burst: batch[0]?.a.burst,
        addresses: batch.map(({ a }) => ({
          keyId: a.keyId,
          address: a.address,
          assessment: a.assessment,
          at: a.at,
        })),
      });
      this.batches++;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      for (const w of batch) w.resolve(error);
      return;
    }
    const changed = results.some(
      (r) => r.outcome === 'authorized' || (r.outcome === 'burst' && r.held.length > 0),
    );
    if (changed) {
      try {
        await this.options.written();
      } catch {
        // The store has the entries; the snapshot catches up on its next refresh (poll or notice).
        // The engine has already logged the failed read (once per outage), so it is not lost here.
      }
    }
    batch.forEach((w, i) => {
      w.resolve(results[i] ?? new Error('the store gave no answer for the address'));
    });
  }
}
