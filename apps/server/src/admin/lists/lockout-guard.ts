/**
 * The self-lockout guard (docs/architecture/management.md#self-lockout-guard): a change to a tenant's IP
 * restriction or to an API allowlist that would deny the caller's own current address, which is allowed now,
 * is refused unless the request says it knows (`confirmLockout: true`). Decided by core's `decide` on the
 * list before and after the change, so the guard and the gateway cannot disagree.
 */
import { decide, IpAddress, IpGateError, IpSet, type RestrictionMode } from '@ipgate/core';

/** An entry as far as enforcement goes. */
export interface GuardEntry {
  readonly id: string;
  readonly canonical: string;
  readonly enabled: boolean;
  readonly expiresAt: Date | null;
}

/** One side of the comparison: a tenant restriction, or an API allowlist. */
export type GuardState =
  | { readonly kind: 'tenant'; readonly mode: RestrictionMode; readonly entries: readonly GuardEntry[] }
  | { readonly kind: 'api'; readonly entries: readonly GuardEntry[] };

/**
 * Throws IPG_SELF_LOCKOUT when `caller` is allowed by `before` and denied by `after`, unless confirmed:
 * now, or at any expiry the change sets (an entry that expires in a few seconds locks the caller out
 * as surely as deleting it). An address that cannot be parsed (no socket address) is never guarded:
 * there is nothing to protect.
 *
 * @example
 * guardLockout('203.0.113.9', { kind: 'api', entries: [] }, { kind: 'api', entries: [office] }, body.confirmLockout);
 */
export function guardLockout(
  caller: string | undefined,
  before: GuardState,
  after: GuardState,
  confirmed: boolean | undefined,
  now: Date = new Date(),
): void {
  if (confirmed === true || caller === undefined) return;
  const client = IpAddress.tryParse(caller)?.unmap();
  if (client === undefined) return;
  const what = after.kind === 'tenant' ? "the tenant's IP restriction" : "the API's network allowlist";
  const hint = 'Repeat the request with confirmLockout: true if you mean it.';
  if (allows(client, before, now) && !allows(client, after, now)) {
    throw new IpGateError(
      'IPG_SELF_LOCKOUT',
      `This change would make ${what} deny your own address ${client.toString()}, which it allows now.`,
      { field: 'confirmLockout', hint },
    );
  }
  for (const at of expiriesSet(before, after, now)) {
    // Just past the expiry, when the entry is no longer in force.
    const then = new Date(at.getTime() + 1);
    if (allows(client, before, then) && !allows(client, after, then)) {
      throw new IpGateError(
        'IPG_SELF_LOCKOUT',
        `This change would make ${what} deny your own address ${client.toString()} from ${at.toISOString()}, when the entry expires.`,
        { field: 'confirmLockout', hint },
      );
    }
  }
}

/** Future expiry times that `after` has and `before` has not (per entry id): the ones this change sets. */
function expiriesSet(before: GuardState, after: GuardState, now: Date): Date[] {
  const had = new Map(before.entries.map((e) => [e.id, e.expiresAt?.getTime()]));
  const out: Date[] = [];
  for (const e of after.entries) {
    if (e.expiresAt === null || e.expiresAt <= now) continue;
    if (had.get(e.id) !== e.expiresAt.getTime()) out.push(e.expiresAt);
  }
  return out;
}

/**
 * The entries that are in force: enabled and not expired.
 *
 * @example
 * activeEntries(entries).length;
 */
export function activeEntries<T extends GuardEntry>(entries: readonly T[], now: Date = new Date()): T[] {
  return entries.filter((e) => e.enabled && (e.expiresAt === null || e.expiresAt > now));
}

function allows(client: IpAddress, state: GuardState, now: Date): boolean {
  const list = IpSet.from(activeEntries(state.entries, now).map((e) => ({ value: e.canonical, id: e.id })));
  const server = { kind: 'server' } as const;
  return state.kind === 'tenant'
    ? decide({ client, origin: server, tenant: { mode: state.mode, list } }).allow
    : decide({ client, origin: server, apiAllowlist: list }).allow;
}
