import { pathHasPrefix, trimPrefix } from './request-path.js';

/** What routing needs of an API. */
export interface Routable {
  readonly id: string;
  /** Null: any host. */
  readonly host: string | null;
  readonly pathPrefix: string;
}

/**
 * The host as routing compares it: lower case, without trailing dot; with the port when `withPort`
 * and one is given. Undefined for a missing or unusable Host header, which matches only host-less APIs.
 *
 * @example
 * routeHost('API.Example.com.:8080'); // 'api.example.com'
 * routeHost('API.Example.com.:8080', true); // 'api.example.com:8080'
 * routeHost('[::1]:8080'); // '[::1]'
 */
export function routeHost(host: string | null | undefined, withPort = false): string | undefined {
  if (host === undefined || host === null) return undefined;
  const h = host.trim().toLowerCase();
  let name: string;
  let port = '';
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close === -1) return undefined;
    name = h.slice(0, close + 1);
    port = h.slice(close + 1);
  } else {
    const colon = h.indexOf(':');
    name = colon === -1 ? h : h.slice(0, colon);
    port = colon === -1 ? '' : h.slice(colon);
    while (name.endsWith('.')) name = name.slice(0, -1);
  }
  if (name === '') return undefined;
  return withPort && /^:[0-9]+$/.test(port) ? name + port : name;
}

/**
 * Finds the API of a request: APIs naming the request's host and port first, then those naming its
 * host without a port, then host-less ones; within
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
      // An API host with a port is kept with it, so it only matches requests naming that port.
      const host = routeHost(api.host, true);
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
    if (host !== lastHost) {
      lastWithPort = routeHost(host, true);
      lastName = routeHost(host);
      lastHost = host;
    }
    const withPort = lastWithPort;
    const name = lastName;
    const exact = withPort === undefined ? undefined : this.byHost.get(withPort);
    const named = name === undefined || name === withPort ? undefined : this.byHost.get(name);
    return (
      (exact && firstMatch(exact, path)) ??
      (named && firstMatch(named, path)) ??
      firstMatch(this.anyHost, path)
    );
  }
}

// The last Host value routed and its two readings: the requests of a keep-alive connection (and most of
// a busy API's) name the same host one after another, and each reading (trim, lower case, port split)
// is a pure function of the text that made new strings per call, twice per look-up. `null` is never a
// Host value, so the first look-up reads it.
let lastHost: string | undefined | null = null;
let lastWithPort: string | undefined;
let lastName: string | undefined;

function firstMatch<T>(group: readonly (readonly [string, T])[], path: string): T | undefined {
  for (const [prefix, api] of group) if (pathHasPrefix(path, prefix)) return api;
  return undefined;
}
