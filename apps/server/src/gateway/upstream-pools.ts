import { Pool } from 'undici';

/** Options of {@link createUpstreamPools}. */
export interface UpstreamPoolOptions {
  /** Connect, response-headers and between-body-chunks timeout, in ms. */
  readonly timeoutMs: number;
  /** Most connections per upstream origin; default 128. */
  readonly connections?: number | undefined;
}

/**
 * One undici `Pool` per upstream origin, made on first use: keep-alive connections are shared by
 * every API on the same origin, and an origin that appears with a rules change needs no restart.
 *
 * @example
 * const pools = createUpstreamPools({ timeoutMs: 30_000 });
 * const { statusCode, body } = await pools.get(new URL('http://127.0.0.1:3000')).request({ method: 'GET', path: '/' });
 * await pools.close();
 */
export function createUpstreamPools(options: UpstreamPoolOptions): {
  get(upstream: URL): Pool;
  close(): Promise<void>;
} {
  const pools = new Map<string, Pool>();
  // Why a second map: `URL#origin` builds a new string on every read, and the compiled API hands
  // over the same URL object on every request until the rules change; weak, so old snapshots go.
  const byUrl = new WeakMap<URL, Pool>();
  return {
    get(upstream: URL): Pool {
      const known = byUrl.get(upstream);
      if (known !== undefined && !known.closed && !known.destroyed) return known;
      let pool = pools.get(upstream.origin);
      if (pool === undefined) {
        pool = new Pool(upstream.origin, {
          connections: options.connections ?? 128,
          connectTimeout: options.timeoutMs,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        });
        pools.set(upstream.origin, pool);
      }
      byUrl.set(upstream, pool);
      return pool;
    },
    async close(): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close().catch(() => p.destroy())));
    },
  };
}
