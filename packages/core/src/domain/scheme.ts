/** The schemes a domain rule may name: the only ones whose origins browsers send for web pages. */
export type WebScheme = 'http' | 'https';

/**
 * The port a browser leaves out when it serialises an origin of this scheme.
 *
 * @returns 80 or 443, or undefined for any other scheme (which no rule can allow).
 * @example
 * defaultPort('https'); // 443
 * defaultPort('ftp'); // undefined
 */
export function defaultPort(scheme: string): number | undefined {
  if (scheme === 'https') return 443;
  if (scheme === 'http') return 80;
  return undefined;
}

/**
 * Narrows a lower-case scheme name to a {@link WebScheme}.
 *
 * @example
 * isWebScheme('https'); // true
 * isWebScheme('wss'); // false
 */
export function isWebScheme(scheme: string): scheme is WebScheme {
  return scheme === 'http' || scheme === 'https';
}
