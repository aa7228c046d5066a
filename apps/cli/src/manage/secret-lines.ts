import { terminalText } from './terminal-text.js';
import type { KeyWithSecret } from './wire.js';

/**
 * The lines that show a key's new secret: set apart, said to be shown once, with what to do now.
 *
 * @example secretLines(created, 'Created key'); // ['Created key key_… "ci" of tenant ten_….', …]
 */
export function secretLines(key: KeyWithSecret, what: string): string[] {
  return [
    `${what} ${key.id} "${terminalText(key.name)}" of tenant ${key.tenantId}.`,
    'Secret (shown this once; ipgate keeps only its hash — store it now):',
    '',
    `  ${terminalText(key.secret)}`,
    '',
  ];
}
