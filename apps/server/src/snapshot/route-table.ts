import { pathHasPrefix, trimPrefix } from './request-path.js';

/** What routing needs of an API. */
export interface Routable {
  readonly id: string;
  /** Null: any host. */
  readonly host: string | null;
  readonly pathPrefix: string;
}

/**
 * The host as routing compares it: lower case, without port and trailing dot. Undefined for a
 * missing or unusable Host header, which matches only host-less APIs.
 *
 * @example
 * routeHost('API.Example.com.:8080'); // 'api.example.com'
 * routeHost('[::1]:8080'); // '[::1]'
 */
export function routeHost(host: string | null | undefined): string | undefined {
  if (host === undefined || host === null) return undefined;
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close === -1) return undefined;
    h = h.slice(0, close + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon !== -1) h = h.slice(0, colon);
    while (h.endsWith('.')) h = h.slice(0, -1);
  }
  return h === '' ? undefined : h;
}

/**
 * Finds the API of a request: APIs naming the request's host first, then host-less ones; within
 * each, the longest path prefix (at a segment boundary) wins. Ties (same host and prefix, which
 * the store should not allow) go to the API listed first, so the outcome never depends on chance.
 *
 * Compiled once per snapshot: a lookup is one map probe per host group and a walk over that
 * group's prefixes, longest first.
 *
 * @example
 * const routes = RouteTable.from([
 *   { id: 'api_all', host: null, pathPrefix: '/' },
 *   { id: 'api_v1', host: 'api.example.com', pathPrefix: '/v1' },
 * ]);
 * routes.find('api.example.com', '/v1/users')?.id; // 'api_v1'
 * routes.find('other.example.com', '/v1/users')?.id; // 'api_all'
 */
export class RouteTable<T extends Routable> {
  private constructor(
    private readonly byHost: ReadonlyMap<string, readonly (readonly [string, T])[]>,
    private readonly anyHost: readonly (readonly [string, T])[],
  ) {}

  /**
   * Compiles the routes of a list of APIs.
   *
   * @example
   * RouteTable.from([{ id: 'api_1', host: null, pathPrefix: '/' }]);
   */
  static from<T extends Routable>(apis: Iterable<T>): RouteTable<T> {
    const byHost = new Map<string, (readonly [string, T])[]>();
    const anyHost: (readonly [string, T])[] = [];
    for (const api of apis) {
      const entry = [trimPrefix(api.pathPrefix), api] as const;
      const host = routeHost(api.host);
      if (host === undefined) {
        anyHost.push(entry);
        continue;
      }
      const group = byHost.get(host);
      if (group === undefined) byHost.set(host, [entry]);
      else group.push(entry);
    }
    // Stable sort: equal prefixes keep list order.
    const longestFirst = (a: readonly [string, T], b: readonly [string, T]) => b[0].length - a[0].length;
    for (const group of byHost.values()) group.sort(longestFirst);
    anyHost.sort(longestFirst);
    return new RouteTable(byHost, anyHost);
  }

  /**
   * The API for a Host header value and a normalised path, or undefined (404).
   *
   * @example
   * routes.find(req.headers.host, '/v1/users');
   */
  find(host: string | undefined, path: string): T | undefined {
    const h = routeHost(host);
    const group = h === undefined ? undefined : this.byHost.get(h);
    return (group && firstMatch(group, path)) ?? firstMatch(this.anyHost, path);
  }
}

function firstMatch<T>(group: readonly (readonly [string, T])[], path: string): T | undefined {
  for (const [prefix, api] of group) if (pathHasPrefix(path, prefix)) return api;
  return undefined;
}
