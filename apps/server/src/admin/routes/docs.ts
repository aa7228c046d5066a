/**
 * The OpenAPI 3.1 document at `/openapi.json`, generated from the route schemas, and the browsable
 * docs at `/docs` (Swagger UI, served from the package's own files, so it works offline).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { AdminApp } from './context.js';

/**
 * Registers swagger before the routes (it collects them as they are added) and the two endpoints.
 *
 * @example
 * await registerDocs(app); // then register the routes
 */
export async function registerDocs(app: AdminApp): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ipgate management API',
        version: '1',
        description:
          'Tenants, IP restrictions, keys, APIs and their allowlists, review of observed addresses, decisions, audit and the request log. Start with docs/getting-started.md (how tenants, APIs and keys relate, the order of the checks). Errors: {"error": {"code", "message", "field", "hint"}}; codes in docs/errors.md.',
      },
      components: {
        securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'An admin token.' } },
      },
      security: [{ adminToken: [] }],
      tags: [
        { name: 'tenants' },
        { name: 'ip-restriction' },
        { name: 'keys' },
        { name: 'key-restrictions' },
        { name: 'apis' },
        { name: 'observed-ips' },
        { name: 'check' },
        { name: 'audit' },
        { name: 'requests' },
        { name: 'tokens' },
        { name: 'health' },
      ],
    },
    transformObject: (document) =>
      'openapiObject' in document
        ? describeResponses(document.openapiObject as OpenApiDocument)
        : document.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.get(
    '/openapi.json',
    {
      config: { access: { role: 'public', scope: 'any' } },
      schema: { hide: true },
    },
    async () => app.swagger(),
  );
}

interface OpenApiDocument {
  paths?: Record<
    string,
    Record<string, { summary?: string; responses?: Record<string, { description?: string }> }>
  >;
}

const SUCCESS: Record<string, string> = {
  '200': 'Done',
  '201': 'Created',
  '204': 'Done; no body',
  '304': 'Not changed since the ETag given',
};

/**
 * Every response says what it means. Error statuses carry their meaning from the shared schemas; a
 * success answer whose schema has no description of its own is described by its status and the
 * operation (`Created: create a tenant.`), never the generator's "Default Response".
 */
function describeResponses<T extends OpenApiDocument>(doc: T): T {
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (response.description !== undefined && response.description !== 'Default Response') continue;
        const what = operation.summary === undefined ? '' : `: ${lowerFirst(operation.summary)}`;
        response.description = `${SUCCESS[status] ?? `Status ${status}`}${what}.`;
      }
    }
  }
  return doc;
}

function lowerFirst(text: string): string {
  return text.length > 1 && /^[A-Z][a-z]/.test(text) ? text[0]?.toLowerCase() + text.slice(1) : text;
}
