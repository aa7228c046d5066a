/**
 * The request body examples of the OpenAPI document: every operation that takes a body shows at least
 * one, and each one is a request the server accepts — sent as it stands, over a real socket, to a
 * server seeded with the resources its path names. An example that fails the route's own validation
 * (or no longer does what it shows) fails here, not in a reader's hands.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addConsoleUser } from '../console-users.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { type AdminFixture, bearer, openAdminFixture } from './admin-fixture.test-support.js';
import { fillPath } from './route-table.test-support.js';

interface MediaType {
  readonly example?: unknown;
  readonly examples?: Record<string, { readonly value?: unknown }>;
}
interface Operation {
  readonly requestBody?: { readonly content?: Record<string, MediaType> };
  readonly responses?: Record<string, unknown>;
}
type Paths = Record<string, Record<string, Operation>>;

/** Every example a media type shows, whichever of the two OpenAPI spellings the generator chose. */
function examplesOf(media: MediaType | undefined): unknown[] {
  if (media === undefined) return [];
  const out: unknown[] = media.example === undefined ? [] : [media.example];
  for (const e of Object.values(media.examples ?? {})) if (e.value !== undefined) out.push(e.value);
  return out;
}

/** `{tenantId}` to `:tenantId`, the route table's spelling (which names key entries apart), for `fillPath`. */
const tablePath = (openApiPath: string) =>
  openApiPath
    .replace('/restrictions/ips/{entryId}', '/restrictions/ips/:keyIpId')
    .replace('/restrictions/domains/{entryId}', '/restrictions/domains/:keyDomainId')
    .replace(/\{(\w+)\}/g, ':$1');

/** Routes whose examples act on one resource in turn: later examples must not find it gone. */
const ORDER = ['authorize', 'reject'];
const rank = (path: string) => ORDER.findIndex((word) => path.endsWith(`/${word}`));

for (const factory of await storeFactories()) {
  describe.skipIf(factory.skip)(`request body examples on ${factory.name}`, () => {
    let f: AdminFixture;
    let base: string;
    let paths: Paths;
    beforeAll(async () => {
      f = await openAdminFixture(factory);
      // The sign-in example's user.
      await addConsoleUser(
        f.store,
        { name: 'owner', role: 'owner', password: 'correct horse battery' },
        'test:examples',
      );
      base = await f.app.listen({ host: '127.0.0.1', port: 0 });
      paths = ((await (await request(`${base}/openapi.json`)).body.json()) as { paths: Paths }).paths;
    });
    afterAll(async () => f?.close());

    const withBodies = () =>
      Object.entries(paths)
        .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })))
        .filter(({ op }) => op.requestBody !== undefined)
        .sort((x, y) => rank(x.path) - rank(y.path));

    it('every operation that takes a body shows an example of it', () => {
      const ops = withBodies();
      expect(ops.length).toBeGreaterThan(20);
      const bare = ops
        .filter(({ op }) => examplesOf(op.requestBody?.content?.['application/json']).length === 0)
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      expect(bare).toEqual([]);
    });

    it('every example is accepted by a real server, with a status the operation documents', async () => {
      const refused: string[] = [];
      let sent = 0;
      for (const { path, method, op } of withBodies()) {
        const url = fillPath(tablePath(path), f.a, {
          apiId: f.apiId,
          apiEntryId: f.apiEntryId,
          tokenId: f.bTokenId,
        });
        for (const example of examplesOf(op.requestBody?.content?.['application/json'])) {
          const res = await request(`${base}${url}`, {
            method: method.toUpperCase() as 'POST' | 'PATCH',
            headers: { ...bearer(f.tokens.all.owner), 'content-type': 'application/json' },
            body: JSON.stringify(example),
          });
          const text = await res.body.text();
          sent++;
          const documented = Object.keys(op.responses ?? {}).includes(String(res.statusCode));
          if (res.statusCode >= 300 || !documented) {
            refused.push(
              `${method.toUpperCase()} ${path} ${JSON.stringify(example)} → ${res.statusCode} ${text}`,
            );
          }
        }
      }
      expect(refused).toEqual([]);
      expect(sent).toBeGreaterThan(30);
    });
  });
}
