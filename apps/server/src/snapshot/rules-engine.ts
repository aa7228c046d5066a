/**
 * The seam between the request path and the management plane: the management API asks the rules
 * engine to pick up a change before it answers (so the very next request sees it), and to explain
 * a decision without sending traffic (`POST …/check`, the self-lockout guard).
 */
import type { Decision } from '@ipgate/core';

/** A request described, not sent: what `check` explains. */
export interface CheckInput {
  /** The client address as text; parsed strictly (a bad one is IPG_ADDRESS_INVALID, 400). */
  readonly address: string;
  /** When given, the API's network allowlist applies (IPG_NOT_FOUND when there is no such API). */
  readonly apiId?: string | undefined;
  /** The tenant the question is asked for; a key of another tenant is IPG_NOT_FOUND. */
  readonly tenantId?: string | undefined;
  /** When given, the tenant restriction and the key's restrictions apply. */
  readonly keyId?: string | undefined;
  /** The `Origin` a browser would send; absent or undefined: a server request. */
  readonly origin?: string | undefined;
}

/** The decision with what it was made about. */
export interface CheckOutcome {
  readonly decision: Decision;
  readonly address: string;
  readonly apiId: string | null;
  readonly tenantId: string | null;
  readonly keyId: string | null;
  /** The snapshot version the decision was made on. */
  readonly snapshotVersion: number;
}

/**
 * The compiled rules a node serves from.
 *
 * @example
 * await store.addTenantIpEntry(tenantId, { value: '203.0.113.7' }, { actor });
 * await engine.refresh(); // the next request on this node sees the entry
 * engine.check({ address: '203.0.113.7', tenantId, keyId }).decision.allow; // true
 */
export interface RulesEngine {
  /** The change version of the snapshot in force. */
  readonly version: number;
  /** Rebuilds from the store when it has changes this node has not compiled; resolves once swapped. */
  refresh(): Promise<void>;
  /** Explains the decision for a described request against the snapshot in force. */
  check(input: CheckInput): CheckOutcome;
}
