import { isIpGateError } from '@ipgate/core';
import { type Logger, silentLogger } from '../log/logger.js';
import { isStoreRefusal } from '../records/store-refusal.js';
import type { Store } from '../store/store.js';
import { AutoReview } from './auto-review.js';
import { AutoWriter } from './auto-writer.js';
import { checkDataDir, lazyNetworkFacts, loadIpLocationData } from './ip-location-data.js';
import type { NetworkFacts } from './network-facts.js';
import type { ReviewSettings } from './review-settings.js';

const WHY = {
  'not-auto': 'the tenant is no longer in auto mode',
  rejected: 'a person rejected this address',
  'key-gone': 'the key is gone',
  'entry-exists': 'the list holds this address disabled or expired',
} as const;

/** Options of {@link startAutoReview}. */
export interface StartAutoReviewOptions {
  readonly store: Pick<Store, 'autoAuthorizeAddresses' | 'holdKeyBurst'>;
  /** This process's rules engine: refreshed after each write, so the snapshot holds the entry. */
  readonly engine: { refresh(): Promise<unknown> };
  readonly settings: { readonly review: ReviewSettings; readonly reviewData: string | undefined };
  /** Facts to use instead of the offline data (tests give 127.0.0.0/8 addresses theirs). */
  readonly networkFacts?: NetworkFacts | undefined;
  readonly logger?: Logger | undefined;
  /** How long a tenant's trusted addresses are gathered before one write (default 1 s: `DEFAULT_FLUSH_MS`). */
  readonly flushMs?: number | undefined;
  /** The clock of the assessment (tests move it); `Date.now` by default. */
  readonly now?: (() => number) | undefined;
}

/**
 * The `auto` mode of one process: the offline network data (loaded on first use), the in-memory
 * assessment, and the writer that lists trusted addresses in the store off the request path.
 *
 * @example
 * const { review } = startAutoReview({ store, engine, settings });
 * await startGateway({ …, review });
 */
export function startAutoReview(options: StartAutoReviewOptions): {
  readonly review: AutoReview;
  readonly facts: NetworkFacts & { ready(): Promise<NetworkFacts> };
  /** The batching writer; `close()` writes what is waiting (on a clean stop). */
  readonly writer: AutoWriter;
} {
  const logger = options.logger ?? silentLogger;
  const { store, engine, settings } = options;
  if (settings.reviewData !== undefined) checkDataDir(settings.reviewData);
  const given = options.networkFacts;
  const facts =
    given !== undefined
      ? {
          facts: (a: Parameters<NetworkFacts['facts']>[0]) => given.facts(a),
          get version() {
            return given.version;
          },
          ready: async () => given,
        }
      : lazyNetworkFacts(
          () => loadIpLocationData(settings.reviewData),
          (e) =>
            logger.error({ err: e }, 'network data could not be loaded; assessing without ASN and country'),
        );
  // One write per tenant and flush period; this process's snapshot is refreshed after each, before
  // the overlay lets go of the batch's addresses.
  const writer = new AutoWriter({ store, written: () => engine.refresh(), flushMs: options.flushMs });
  const review = new AutoReview({
    facts,
    ready: () => facts.ready(),
    settings: settings.review,
    now: options.now,
    authorize: async (a) => {
      try {
        const result = await writer.authorize(a);
        if (result.outcome === 'burst') {
          logger.warn(
            {
              tenantId: a.tenantId,
              keyId: a.keyId,
              address: a.address,
              newAddresses: result.newAddresses,
              held: result.held.map((o) => o.address),
            },
            'burst of new addresses on a key: held them all',
          );
          return {
            ok: false,
            why: `a burst of ${result.newAddresses} new addresses on the key within an hour, on every node (holds at ${a.burst.limit})`,
            burst: result.newAddresses,
          };
        }
        if (result.outcome === 'limit-reached') {
          logger.warn(
            { tenantId: a.tenantId, address: a.address, limit: result.limit },
            'auto authorization refused: the tenant list is full; the address stays pending',
          );
          return { ok: false, why: `the tenant list holds its limit of ${result.limit} entries` };
        }
        if (result.outcome !== 'authorized') {
          logger.info(
            { tenantId: a.tenantId, address: a.address, outcome: result.outcome },
            'auto authorization refused',
          );
          return { ok: false, why: WHY[result.outcome] };
        }
        logger.info(
          { tenantId: a.tenantId, keyId: a.keyId, address: a.address, score: a.assessment.score },
          'address authorized automatically',
        );
        return { ok: true };
      } catch (e) {
        // A refusal (bad input, the tenant gone) holds the address for the hour; anything else (the
        // store down or busy, a reset connection, a timeout) only for seconds before it is tried again.
        const transient = !isStoreRefusal(e);
        logger.warn(
          { err: e, tenantId: a.tenantId, address: a.address, transient },
          'auto authorization failed',
        );
        return { ok: false, why: isIpGateError(e) ? e.message : 'the store could not write it', transient };
      }
    },
    holdBurst: async (h) => {
      try {
        const result = await store.holdKeyBurst(h);
        logger.warn(
          {
            tenantId: h.tenantId,
            keyId: h.keyId,
            newAddresses: result.newAddresses,
            held: result.held.map((o) => o.address),
          },
          'burst of new addresses on a key: held them all',
        );
        if (result.held.length > 0) await engine.refresh();
      } catch (e) {
        // The store's own check still refuses the key's next auto authorizations while it lasts.
        logger.warn({ err: e, tenantId: h.tenantId, keyId: h.keyId }, 'holding a burst failed');
      }
    },
  });
  return { review, facts, writer };
}
