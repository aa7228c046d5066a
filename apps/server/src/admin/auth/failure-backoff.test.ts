/**
 * The failure backoff on its own, with a clock the test moves: the schedule of one client's failures,
 * concurrent attempts taking turns, forgiveness only by the same subject, and the memory bound.
 */
import { describe, expect, it } from 'vitest';
import { backoffAddressKey } from './backoff-address.js';
import { type AttemptTurn, FailureBackoff } from './failure-backoff.js';

function admitted(turn: AttemptTurn) {
  if (turn.refused) throw new Error(`refused, retry after ${turn.retryAfterMs} ms`);
  return turn;
}

describe('FailureBackoff', () => {
  it('is free for three failures, then doubles up to the cap, and forgets after a while', () => {
    let now = 0;
    const b = new FailureBackoff({ now: () => now, maxDelayMs: 400 });
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const turn = admitted(b.begin('192.0.2.1', 'token:ipg_adm_aaaa'));
      waits.push(turn.waitMs);
      now += turn.waitMs; // one client, one attempt after another
      turn.failed();
    }
    expect(waits).toEqual([0, 0, 0, 100, 200, 400, 400]);
    // Another address and another token are not slowed.
    expect(admitted(b.begin('192.0.2.2', 'token:ipg_adm_bbbb')).waitMs).toBe(0);
    now += 16 * 60_000;
    expect(admitted(b.begin('192.0.2.1', 'token:ipg_adm_aaaa')).waitMs).toBe(0);
  });

  it('gives concurrent guesses one turn each, and refuses those whose turn is too far away', () => {
    const now = 0;
    const b = new FailureBackoff({ now: () => now, maxDelayMs: 1000 });
    // Twenty guesses arrive at the same instant; none has failed yet when the next one starts.
    const turns = Array.from({ length: 20 }, () => b.begin('192.0.2.1', 'token:ipg_adm_aaaa'));
    const waits = turns.filter((t) => !t.refused).map((t) => (t.refused ? -1 : t.waitMs));
    // Three free, then each waits for the one before it plus its own growing delay.
    expect(waits).toEqual([0, 0, 0, 100, 300, 700]);
    const refused = turns.filter((t) => t.refused);
    expect(refused).toHaveLength(14);
    expect(refused[0]).toEqual({ refused: true, retryAfterMs: 700 });
  });

  it('serialises guesses at one token prefix from many addresses', () => {
    const now = 0;
    const b = new FailureBackoff({ now: () => now, maxDelayMs: 1000 });
    const waits = Array.from({ length: 8 }, (_, i) => b.begin(`192.0.2.${i + 1}`, 'token:ipg_adm_aaaa')).map(
      (t) => (t.refused ? 'refused' : t.waitMs),
    );
    expect(waits).toEqual([0, 0, 0, 100, 300, 700, 'refused', 'refused']);
  });

  it('lets only the same subject’s success forgive its failures', () => {
    let now = 0;
    const b = new FailureBackoff({ now: () => now, maxDelayMs: 5000 });
    const fail = (address: string, subject: string) => {
      const t = admitted(b.begin(address, subject));
      now += t.waitMs;
      t.failed();
      return t.waitMs;
    };
    for (let i = 0; i < 5; i++) fail('192.0.2.1', 'token:ipg_adm_vict');
    // The attacker's own valid token, from the same address: it waits like any attempt from there …
    const own = admitted(b.begin('192.0.2.1', 'token:ipg_adm_mine'));
    expect(own.waitMs).toBe(400);
    now += own.waitMs;
    own.succeeded();
    // … and forgives nothing: the next guess at the victim's prefix still waits, from anywhere.
    expect(fail('192.0.2.1', 'token:ipg_adm_vict')).toBe(400);
    expect(fail('198.51.100.7', 'token:ipg_adm_vict')).toBe(800);
    // The victim's own success clears its prefix's bucket and its share of the address's.
    const victim = admitted(b.begin('192.0.2.1', 'token:ipg_adm_vict'));
    now += victim.waitMs;
    victim.succeeded();
    expect(admitted(b.begin('198.51.100.8', 'token:ipg_adm_vict')).waitMs).toBe(0);
    expect(admitted(b.begin('192.0.2.1', 'token:ipg_adm_othr')).waitMs).toBe(0);
  });

  it('does not forgive a success twice, nor a failure reported as success afterwards', () => {
    const now = 0;
    const b = new FailureBackoff({ now: () => now });
    const first = admitted(b.begin('192.0.2.1', 'user:ana'));
    first.failed();
    first.succeeded();
    for (let i = 0; i < 2; i++) admitted(b.begin('192.0.2.1', 'user:ana')).failed();
    expect(admitted(b.begin('192.0.2.1', 'user:ana')).waitMs).toBe(100);
  });

  it('holds at most maxBuckets buckets while addresses and prefixes are sprayed, and still slows the spray', () => {
    let now = 0;
    const b = new FailureBackoff({ now: () => now, maxBuckets: 1000, maxDelayMs: 5000 });
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const turn = b.begin(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `token:ipg_adm_${i}`);
      if (turn.refused) refused++;
      else turn.failed();
      expect(b.size).toBeLessThanOrEqual(1000);
      now += 1;
    }
    expect(b.size).toBe(1000);
    // Past the bound, the sprayed attempts share one queue: almost all are refused unchecked.
    expect(refused).toBeGreaterThan(18_000);
    // Buckets expire: once they have, new clients get their own again.
    now += 16 * 60_000;
    expect(admitted(b.begin('203.0.113.9', 'token:ipg_adm_late')).waitMs).toBe(0);
    expect(b.size).toBeLessThanOrEqual(1000);
  });
});

describe('backoffAddressKey', () => {
  it('counts IPv4 per address, IPv4-mapped as IPv4, and IPv6 per /64', () => {
    expect(backoffAddressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(backoffAddressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(backoffAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(backoffAddressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(backoffAddressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(backoffAddressKey(undefined)).toBe('unknown');
    expect(backoffAddressKey('not an address')).toBe('unknown');
  });
});
