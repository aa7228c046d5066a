/**
 * What a message about a pending address says, read from the store when it is sent (so the count
 * and last-seen time are current): which address, which key (name and id, never the secret), when,
 * how often, its network, and the assessment stored with the observation when there is one.
 */
import { IpAddress, isIpGateError } from '@ipgate/core';
import type { Assessment, Store } from '../store/store.js';
import type { IpMode } from '../store/vocabulary.js';

export interface PendingNotice {
  readonly tenant: {
    readonly id: string;
    readonly name: string;
    /** The tenant's mode when the message is made; in `manual` the assessment is advice only. */
    readonly ipMode?: IpMode | undefined;
  };
  readonly observedId: string;
  readonly address: string;
  /** The address's /24 (IPv4) or /48 (IPv6). */
  readonly network: string;
  readonly key: { readonly id: string; readonly name: string };
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly count: number;
  readonly status: string;
  /** The assessment stored with the observation (docs/architecture/review.md#the-assessment), if any. */
  readonly assessment: Assessment | null;
}

/**
 * The /24 of an IPv4 address or the /48 of an IPv6 one.
 *
 * @example
 * networkOf('203.0.113.7'); // '203.0.113.0/24'
 * networkOf('2001:db8:1:2::5'); // '2001:db8:1::/48'
 */
export function networkOf(address: string): string {
  const ip = IpAddress.parse(address);
  if (ip.family === 4) {
    const n = Number(ip.toBigInt());
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.0/24`;
  }
  const v = (ip.toBigInt() >> 80n) << 80n;
  const words = Array.from({ length: 8 }, (_, i) =>
    Number((v >> BigInt(112 - i * 16)) & 0xffffn).toString(16),
  );
  return `${IpAddress.parse(words.join(':')).toString()}/48`;
}

/**
 * Reads the notice of a pending address, or undefined when the address (or its tenant or key) is
 * gone or no longer pending — the message would then be wrong, so it is not sent.
 *
 * @example
 * const notice = await loadPendingNotice(store, tenantId, observedId);
 */
export async function loadPendingNotice(
  store: Store,
  tenantId: string,
  observedId: string,
): Promise<PendingNotice | undefined> {
  try {
    const observed = await store.getObservedIp(tenantId, observedId);
    if (observed.status !== 'pending') return undefined;
    const [tenant, key] = await Promise.all([
      store.getTenant(tenantId),
      store.getKey(tenantId, observed.keyId),
    ]);
    return {
      tenant: { id: tenant.id, name: tenant.name, ipMode: tenant.ipMode },
      observedId,
      address: observed.address,
      network: networkOf(observed.address),
      key: { id: key.id, name: key.name },
      firstSeen: observed.firstSeen,
      lastSeen: observed.lastSeen,
      count: observed.count,
      status: observed.status,
      assessment: observed.assessment,
    };
  } catch (e) {
    if (isIpGateError(e) && e.code === 'IPG_NOT_FOUND') return undefined;
    throw e;
  }
}
