import { readFileSync } from 'node:fs';

/**
 * The version of @ipgate/cli, from its package.json (one level above both src/ and dist/), so that
 * `--version` cannot drift from what npm installed.
 *
 * @example cliVersion(); // '0.1.0'
 */
export function cliVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const version: unknown = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}
