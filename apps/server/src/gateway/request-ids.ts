import { randomFillSync } from 'node:crypto';

/**
 * base64url's 64 characters in ASCII order, so that ids compare (byte by byte, as SQLite's text
 * keys do) in the order of the numbers they encode.
 */
const SORTED = Buffer.from('-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz', 'latin1');
/** Characters of the time part: 42 bits of milliseconds since 1970, enough until the year 2109. */
const TIME_CHARS = 7;
/** Characters of the counter: 18 bits, wrapping. */
const COUNTER_CHARS = 3;
/** Characters of the random part: 36 bits, one CSPRNG byte per character (its low 6 bits). */
const RANDOM_CHARS = 6;
/** Ids drawn per refill of the random pool. */
const IDS_PER_REFILL = 512;
const PREFIX = 'req_';
const COUNTER_SPAN = 64 ** COUNTER_CHARS;

/**
 * This thread's counter, shared by every id source in it (the gateway's and the decision
 * endpoint's), so that no two ids made here in one millisecond are the same. Starts anywhere.
 */
let counter = randomFillSync(Buffer.alloc(4)).readUInt32BE(0) % COUNTER_SPAN;

/**
 * A source of request ids: `req_` + 16 base64url characters that sort by the time they were made —
 * 7 characters of milliseconds, 3 of a counter, 6 random.
 *
 * Why time first: the request log's primary key is the id. Random ids put every insert on a random
 * page of that B-tree, so each write dirtied and rewrote a different page; ids that grow with time
 * make the inserts appends at the end of the tree, which the recorder thread does for less CPU (see
 * bench/README.md, "What each change gave").
 *
 * Unique: within a thread, the counter tells apart the ids of one millisecond (it would have to go
 * round 262,144 times in one). Between threads, processes and nodes, two ids are equal only when
 * made in the same millisecond with the same counter value and the same 36 random bits. Not secret:
 * a request id names a record, it grants nothing; its time part is the time the response already says.
 *
 * Why a pool for the random part: `randomBytes` per request was ~1.5 % of a gateway worker's CPU under
 * load (one native call and one buffer per request); one `randomFillSync` every 512 ids gives the
 * same bits, each byte used once.
 *
 * @example
 * const ids = createRequestIds();
 * ids.next(); // 'req_QZb8xk-0Ue3Kq7Zc'
 */
export function createRequestIds(): { next(): string } {
  const pool = Buffer.allocUnsafe(RANDOM_CHARS * IDS_PER_REFILL);
  let offset = pool.length;
  const out = Buffer.alloc(PREFIX.length + TIME_CHARS + COUNTER_CHARS + RANDOM_CHARS);
  out.write(PREFIX, 0, 'latin1');
  let lastMs = -1;
  return {
    next(): string {
      const now = Date.now();
      if (now !== lastMs) {
        lastMs = now;
        // 42 bits do not fit JavaScript's 32-bit integer operators: divide instead of shifting.
        let t = now;
        for (let i = PREFIX.length + TIME_CHARS - 1; i >= PREFIX.length; i--) {
          out[i] = SORTED[t % 64] as number;
          t = Math.floor(t / 64);
        }
      }
      const c = counter;
      counter = (counter + 1) % COUNTER_SPAN;
      let at = PREFIX.length + TIME_CHARS;
      out[at++] = SORTED[c >>> 12] as number;
      out[at++] = SORTED[(c >>> 6) & 63] as number;
      out[at++] = SORTED[c & 63] as number;
      if (offset === pool.length) {
        randomFillSync(pool);
        offset = 0;
      }
      for (let i = 0; i < RANDOM_CHARS; i++) out[at++] = SORTED[(pool[offset++] as number) & 63] as number;
      return out.toString('latin1');
    },
  };
}
