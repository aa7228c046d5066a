import type { IpAddress, IpSet } from '@ipgate/core';
import type { CompiledTenant } from '../snapshot/snapshot.js';
import { type Assessment, assess } from './assessment.js';
import { BoundedMap } from './bounded-map.js';
import { listedFacts } from './listed-facts.js';
import type { NetworkFacts } from './network-facts.js';
import { refusalHoldMs } from './refusal-hold.js';
import type { ReviewSettings } from './review-settings.js';

const HOUR_MS = 60 * 60 * 1000;
/** Bounds on what a node remembers, so a flood of addresses or keys cannot grow it without end. */
const MAX_TRACKED = 100_000;
/** Held verdicts kept per tenant: re-assessing a forgotten one costs microseconds, keeping it memory. */
const MAX_HELD_PER_TENANT = 10_000;
const MAX_PER_KEY = 1_000;

/** Why `auto` holds an address a person rejected (no factor was weighed). */
export const REJECTED_REASON = 'a person rejected this address';

/** A trusted address to add to the tenant's list, handed to the writer off the request path. */
export interface AutoAuthorization {
  readonly tenantId: string;
  readonly keyId: string;
  readonly address: string;
  readonly assessment: Assessment;
  readonly at: Date;
  /** The burst rule, for the store to check against every node's new addresses on the key. */
  readonly burst: { readonly limit: number; readonly windowMs: number };
}

/** A burst this node saw on a key: the store holds it for every node and undoes what `auto` listed. */
export interface BurstHold {
  readonly tenantId: string;
  readonly keyId: string;
  readonly newAddresses: number;
  readonly at: Date;
  readonly burst: { readonly limit: number; readonly windowMs: number };
}

/**
 * What became of an auto authorization: `authorized` (listed, or covered already), or `refused` with
 * why (the address was rejected by a person, the list is full, the tenant left `auto`, the store failed);
 * `burst` when the store saw the key in a burst, with the key's new addresses on every node;
 * `transient` when the store failed rather than refused (down, busy, a connection reset, a timeout):
 * the address is then held for seconds and written again, not held for the hour.
 */
export type AutoAuthorizationResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly why: string;
      readonly burst?: number | undefined;
      readonly transient?: boolean | undefined;
    };

/** Options of {@link AutoReview}. */
export interface AutoReviewOptions {
  readonly facts: NetworkFacts;
  readonly settings: ReviewSettings;
  /**
   * Writes the entry and resolves once this node's snapshot holds it (or the write was refused).
   * Called off the request path; it must not throw.
   */
  readonly authorize: (a: AutoAuthorization) => Promise<AutoAuthorizationResult>;
  /**
   * Holds a burst this node saw, in the store, off the request path; called once per key and hour.
   * It must not throw.
   */
  readonly holdBurst?: ((h: BurstHold) => Promise<void>) | undefined;
  readonly now?: (() => number) | undefined;
  /** Resolves when the network data is loaded; the re-assess route waits for it. */
  readonly ready?: (() => Promise<unknown>) | undefined;
}

interface Remembered {
  readonly at: number;
  readonly assessment: Assessment;
}

/** A trusted address whose write did not succeed: held until `at + holdMs`. */
interface Refused extends Remembered {
  readonly holdMs: number;
  /** Transient failures in a row (0 after a rule's refusal): each doubles the next wait. */
  readonly transientInRow: number;
}

/**
 * The `auto` mode on the request path (docs/architecture/review.md#auto-on-the-request-path): assesses
 * an unknown address in memory, admits a trusted one at once (and from then on, on this node, while
 * its entry is written), and remembers held verdicts, new addresses per key and failed
 * authentications per address for an hour. Never touches the store itself.
 *
 * @example
 * const review = new AutoReview({ facts, settings, authorize: (a) => writer.authorize(a) });
 * const a = review.decide(tenant, key.id, client); // in the pipeline, for an unlisted address
 * if (a.verdict === 'trusted') pass();
 */
export class AutoReview {
  private readonly now: () => number;
  /** Trusted addresses whose entry is being written: tenant -> address -> assessment. */
  private readonly admitted = new Map<string, Map<string, Assessment>>();
  /** Held verdicts per compiled tenant (a list change compiles a new one): key + address -> verdict. */
  private readonly held = new WeakMap<CompiledTenant, BoundedMap<string, Remembered>>();
  /** Trusted addresses whose write did not succeed: tenant + address -> a held verdict saying why. */
  private readonly refused = new BoundedMap<string, Refused>(MAX_TRACKED);
  /** New addresses per key within the hour: key -> address -> first seen. */
  private readonly newByKey = new BoundedMap<string, Map<string, number>>(MAX_TRACKED);
  /** Failed authentications per address within the hour. */
  private readonly failures = new BoundedMap<string, { since: number; count: number }>(MAX_TRACKED);
  /** The tenant's list last assessed against (weakly: a replaced list may go). */
  private readonly lastList = new BoundedMap<string, WeakRef<IpSet>>(MAX_TRACKED);
  /** Keys in a burst, seen here or told by the store: key -> since when, and how many new addresses. */
  private readonly bursting = new BoundedMap<string, { at: number; count: number }>(MAX_TRACKED);

  constructor(private readonly options: AutoReviewOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The verdict for an address the tenant's list does not have, with the tenant in `auto`. A trusted
   * verdict admits the address now; its entry is written in the background.
   */
  decide(tenant: CompiledTenant, keyId: string, client: IpAddress): Assessment {
    const address = client.toString();
    // A person's rejection, carried in the tenant's rules: held before anything else, never assessed
    // (an assessment could trust it again) nor admitted while an entry is being written.
    // The set holds IPv4 addresses unmapped; a dual-stack socket may report one IPv4-mapped.
    if (
      tenant.rejected.size > 0 &&
      tenant.rejected.has(client.isIPv4Mapped ? client.unmap().toString() : address)
    )
      return this.rejected(client);
    const writing = this.admitted.get(tenant.id)?.get(address);
    if (writing !== undefined) return writing;
    const now = this.now();
    const refused = this.refused.get(`${tenant.id}\u0000${address}`);
    if (refused !== undefined && now - refused.at < refused.holdMs) return refused.assessment;
    let memo = this.held.get(tenant);
    const memoKey = `${keyId}\u0000${address}`;
    const before = memo?.get(memoKey);
    if (before !== undefined && now - before.at < HOUR_MS) return before.assessment;

    const assessment = this.assess(tenant, keyId, client, now);
    if (assessment.verdict === 'trusted') {
      this.admit(tenant.id, keyId, address, assessment, now);
    } else {
      if (this.burstHolds(assessment)) this.holdBurst(tenant.id, keyId, now);
      if (memo === undefined) {
        memo = new BoundedMap(MAX_HELD_PER_TENANT);
        this.held.set(tenant, memo);
      }
      memo.set(memoKey, { at: now, assessment });
    }
    return assessment;
  }

  /**
   * The assessment of an address the list does not have, with the tenant in `manual`: made and
   * remembered as in `auto` (once per compiled tenant, key and address, for up to an hour), so that
   * the pending observation carries it from its first write and the owner's message shows it. It is
   * advice only: nothing is admitted, whatever the verdict.
   */
  advise(tenant: CompiledTenant, keyId: string, client: IpAddress): Assessment {
    const address = client.toString();
    const now = this.now();
    let memo = this.held.get(tenant);
    const memoKey = `${keyId}\u0000${address}`;
    const before = memo?.get(memoKey);
    if (before !== undefined && now - before.at < HOUR_MS) return before.assessment;
    const assessment = this.assess(tenant, keyId, client, now);
    if (memo === undefined) {
      memo = new BoundedMap(MAX_HELD_PER_TENANT);
      this.held.set(tenant, memo);
    }
    memo.set(memoKey, { at: now, assessment });
    return assessment;
  }

  /**
   * The assessment of an address as this node would make it now against `list` (the tenant's list
   * as the store has it), without remembering anything or admitting it: for the re-assess route.
   * Waits for the network data first.
   */
  async assessOnly(list: IpSet, keyId: string, client: IpAddress): Promise<Assessment> {
    await this.options.ready?.();
    const { facts, settings } = this.options;
    const now = this.now();
    const address = client.toString();
    const failures = this.failures.get(address);
    return assess(
      facts.facts(client),
      {
        listed: listedFacts(list, facts),
        newAddressesOnKey: this.newAddresses(keyId, address, now, false),
        authFailures: failures !== undefined && now - failures.since < HOUR_MS ? failures.count : 0,
      },
      settings,
      facts.version,
    );
  }

  /** A failed authentication (an unknown key) from the address. */
  authFailure(client: IpAddress): void {
    const address = client.toString();
    const now = this.now();
    const seen = this.failures.get(address);
    if (seen === undefined || now - seen.since >= HOUR_MS) {
      this.failures.set(address, { since: now, count: 1 });
    } else {
      seen.count++;
    }
  }

  /** Whether this node admits the address while its entry is written (for tests and metrics). */
  isAdmitting(tenantId: string, address: string): boolean {
    return this.admitted.get(tenantId)?.has(address) === true;
  }

  private assess(tenant: CompiledTenant, keyId: string, client: IpAddress, now: number): Assessment {
    const { facts, settings } = this.options;
    const address = client.toString();
    const failures = this.failures.get(address);
    // The tenant's list before this one: in `auto` each batch adds entries at the end, and the listed
    // facts are then extended by the new entries instead of rebuilt from the whole list.
    const list = tenant.restriction.list;
    const previous = this.lastList.get(tenant.id)?.deref();
    if (previous !== list) this.lastList.set(tenant.id, new WeakRef(list));
    return assess(
      facts.facts(client),
      {
        listed: listedFacts(list, facts, previous),
        newAddressesOnKey: this.newAddresses(keyId, address, now, true),
        authFailures: failures !== undefined && now - failures.since < HOUR_MS ? failures.count : 0,
      },
      settings,
      facts.version,
    );
  }

  /** The verdict on an address a person rejected: held, by no factor (none was weighed). */
  private rejected(client: IpAddress): Assessment {
    const { facts, settings } = this.options;
    return {
      verdict: 'held',
      score: 0,
      trustScore: settings.trustScore,
      factors: [],
      reasons: [REJECTED_REASON],
      facts: facts.facts(client),
      data: facts.version,
    };
  }

  /** Whether `key-burst` holds the assessment. */
  private burstHolds(a: Assessment): boolean {
    return a.factors.some((f) => f.factor === 'key-burst' && f.holds);
  }

  /**
   * The first time this node sees the key in a burst within the hour: the store holds it for every
   * node and undoes what `auto` listed for the key within the hour (hold them all).
   */
  private holdBurst(tenantId: string, keyId: string, now: number): void {
    const known = this.bursting.get(keyId);
    if (known !== undefined && now - known.at < HOUR_MS) return;
    const count = this.newByKey.get(keyId)?.size ?? 0;
    this.bursting.set(keyId, { at: now, count });
    void this.options.holdBurst?.({
      tenantId,
      keyId,
      newAddresses: count,
      at: new Date(now),
      burst: { limit: this.options.settings.burstLimit, windowMs: HOUR_MS },
    });
  }

  /**
   * Distinct new addresses of the key within the hour, this one included (and noted when `count`);
   * at least what the store counted on every node when it told this node of a burst.
   */
  private newAddresses(keyId: string, address: string, now: number, count: boolean): number {
    const told = this.bursting.get(keyId);
    const cluster = told !== undefined && now - told.at < HOUR_MS ? told.count : 0;
    return Math.max(cluster, this.localNewAddresses(keyId, address, now, count));
  }

  private localNewAddresses(keyId: string, address: string, now: number, count: boolean): number {
    let seen = this.newByKey.get(keyId);
    if (seen !== undefined) {
      // Oldest first (insertion order): drop what left the window.
      for (const [a, at] of seen) {
        if (now - at < HOUR_MS) break;
        seen.delete(a);
      }
    }
    const known = seen?.has(address) === true;
    if (!count) return (seen?.size ?? 0) + (known ? 0 : 1);
    if (seen === undefined) {
      seen = new Map();
      this.newByKey.set(keyId, seen);
    }
    if (!known) {
      if (seen.size >= MAX_PER_KEY) seen.delete(seen.keys().next().value as string);
      seen.set(address, now);
    }
    return seen.size;
  }

  private admit(tenantId: string, keyId: string, address: string, assessment: Assessment, now: number): void {
    let forTenant = this.admitted.get(tenantId);
    if (forTenant === undefined) {
      forTenant = new Map();
      this.admitted.set(tenantId, forTenant);
    }
    forTenant.set(address, assessment);
    const refusedKey = `${tenantId}\u0000${address}`;
    const done = (result: AutoAuthorizationResult): void => {
      forTenant.delete(address);
      if (forTenant.size === 0 && this.admitted.get(tenantId) === forTenant) this.admitted.delete(tenantId);
      if (result.ok) {
        this.refused.delete(refusedKey);
        return;
      }
      if (result.burst !== undefined) {
        // The store saw the key in a burst over every node: hold its addresses here too, for the hour.
        const known = this.bursting.get(keyId);
        if (known === undefined || result.burst > known.count) {
          this.bursting.set(keyId, { at: known?.at ?? this.now(), count: result.burst });
        }
      }
      const at = this.now();
      const before = this.refused.get(refusedKey);
      const transient = result.transient === true;
      // Failures in a row: a failure an hour after the last one starts again from the first wait.
      const inRow = !transient
        ? 0
        : before !== undefined && at - before.at < HOUR_MS
          ? before.transientInRow + 1
          : 1;
      this.refused.set(refusedKey, {
        at,
        holdMs: refusalHoldMs({ transient, inRow }),
        transientInRow: inRow,
        assessment: {
          ...assessment,
          verdict: 'held',
          reasons: [...assessment.reasons, `not authorized: ${result.why}`],
        },
      });
    };
    this.options
      .authorize({
        tenantId,
        keyId,
        address,
        assessment,
        at: new Date(now),
        burst: { limit: this.options.settings.burstLimit, windowMs: HOUR_MS },
      })
      // `authorize` must not throw; if it does, nothing says the store refused: tried again in seconds.
      .then(done, (e: unknown) =>
        done({ ok: false, why: e instanceof Error ? e.message : String(e), transient: true }),
      );
  }
}
