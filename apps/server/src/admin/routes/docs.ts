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
          'Tenants, IP restrictions, keys, APIs and their allowlists, review of observed addresses, decisions, audit and the request log. Errors: {"error": {"code", "message", "field"}}; codes in docs/errors.md.',
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
