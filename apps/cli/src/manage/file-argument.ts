import { readFile } from 'node:fs/promises';
import type { CommandIo } from '../output.js';
import { UsageError } from '../usage-error.js';

/**
 * The whole text of a file named on the command line, or of standard input when it is `-`. A file
 * that cannot be read is a usage error that names it.
 *
 * @example const text = await readFileArgument(io, o.replaceFile); // '-' reads standard input
 */
export async function readFileArgument(io: CommandIo, file: string): Promise<string> {
  if (file === '-') {
    const chunks: string[] = [];
    for await (const chunk of io.stdin)
      chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    return chunks.join('');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}
