/**
 * The console's API types are generated from the server's own OpenAPI document: the committed
 * src/api/schema.d.ts must be what the generator writes now, so a route change cannot leave the
 * console compiling against an API that no longer exists.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../cli/src/cli.test-support.js';

beforeAll(ensureBuilt, 180_000);

describe('apps/console/src/api/schema.d.ts', () => {
  it('is what openapi-typescript makes of the OpenAPI document now', async () => {
    // @ts-expect-error: a plain .mjs script without types
    const { generateApiTypes, schemaFile } = await import('../scripts/api-types.mjs');
    const expected: string = await generateApiTypes();
    const committed = readFileSync(schemaFile as string, 'utf8');
    expect(
      committed === expected,
      'apps/console/src/api/schema.d.ts is stale: the management API changed. Run `npm run api-types` ' +
        'at the repository root and commit the file.',
    ).toBe(true);
  });
});
