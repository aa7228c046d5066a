import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';

/**
 * The example file, verbatim, and whether the docs page shows it verbatim in a ```ts block: the
 * page's copy-paste example is the file that the test runs.
 */
export function exampleOnPage(example: URL, page: string): { example: string; onPage: boolean } {
  const text = readFileSync(example, 'utf8').trim();
  const doc = readFileSync(new URL(`../../../docs/${page}`, import.meta.url), 'utf8');
  return { example: text, onPage: doc.includes(`\`\`\`ts\n${text}\n\`\`\``) };
}

/** Imports an example module that listens on `process.env.PORT`, with port 0, and returns its port. */
export async function startExample(
  load: () => Promise<{ server: Server }>,
): Promise<{ port: number; server: Server }> {
  process.env['PORT'] = '0';
  const { server } = await load();
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}
