/**
 * The load of `review.bench.mjs --interleave`: requests at a fixed offered rate, paced every
 * millisecond or so (not autocannon's `overallRate`, which sends each second's quota at the start of
 * the second: a burst at full speed, then idle), to one gateway for one slice at a time. In the
 * bench's own process, so that the slices of two gateways follow each other without a process start.
 *
 * The requests are those of `review-load.mjs`: the client named in X-Forwarded-For, a known listed
 * address, or with `newEvery` N every N-th request an address never seen (in `prefix48`), spread
 * over the keys.
 */
import { Pool } from 'undici';
import { freshAddress } from './review-addresses.mjs';

/**
 * A client of one gateway. `slice({ rate, ms, newEvery })` sends `rate` requests a second for `ms`,
 * waits for the last answer, and resolves with what it sent and how it went: `held` is whether the
 * pace and the gateway kept up (no tick more than `lateMs` after the one before, every request
 * answered within `graceMs` of the slice's end, none failed).
 *
 * @example
 * const c = pacedClient('http://127.0.0.1:4000', { secrets, known, prefix48: '2003:e1:1', firstFresh: 7e6 });
 * await c.slice({ rate: 2000, ms: 1000, newEvery: 50 }); // { requests: 2000, newAddresses: 40, held: true, … }
 * await c.close();
 */
export function pacedClient(
  origin,
  { secrets, known, prefix48, firstFresh, connections = 50, graceMs = 100, lateMs = 20, path = '/' },
) {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  let n = 0;
  let fresh = firstFresh;

  function send(newEvery, tally) {
    n++;
    const isNew = newEvery > 0 && n % newEvery === 0;
    let client;
    if (isNew) {
      fresh++;
      tally.newAddresses++;
      client = freshAddress(prefix48, fresh);
    } else {
      client = known[n % known.length];
    }
    tally.requests++;
    return pool
      .request({
        path,
        method: 'GET',
        headers: {
          'x-forwarded-for': client,
          authorization: `Bearer ${secrets[isNew ? fresh % secrets.length : 0]}`,
        },
      })
      .then(
        async (res) => {
          await res.body.dump();
          if (res.statusCode < 200 || res.statusCode > 299) tally.non2xx++;
        },
        () => {
          tally.errors++;
        },
      );
  }

  async function slice({ rate, ms, newEvery }) {
    const tally = { requests: 0, newAddresses: 0, non2xx: 0, errors: 0 };
    const pending = [];
    const start = performance.now();
    // The longest wait between two ticks: a tick that comes late sends its backlog at once, a burst
    // the drain after the slice does not show, so a slice with a long one did not hold its pace.
    let longestGapMs = 0;
    let last = start;
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        longestGapMs = Math.max(longestGapMs, now - last);
        last = now;
        const elapsed = Math.min(now - start, ms);
        const due = Math.floor((elapsed * rate) / 1000) - tally.requests;
        for (let k = 0; k < due; k++) pending.push(send(newEvery, tally));
        if (elapsed >= ms) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const sentAt = performance.now();
    await Promise.all(pending);
    const drainMs = performance.now() - sentAt;
    return {
      ...tally,
      wallMs: sentAt - start,
      drainMs,
      longestGapMs,
      held: drainMs <= graceMs && longestGapMs <= lateMs && tally.non2xx === 0 && tally.errors === 0,
    };
  }

  return { slice, close: () => pool.close() };
}
