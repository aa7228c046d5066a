/**
 * A request that says `Content-Type: application/json` and sends no body (what many HTTP clients do for
 * every request, `DELETE` included) carries no body, rather than a malformed one: Fastify's own parser
 * answers it 400 "Body cannot be empty", which tells a person nothing about their request.
 */
import type { FastifyInstance } from 'fastify';

/**
 * Replaces the JSON parser with Fastify's own, except that an empty body is no body. A route that needs a
 * body then says so through its schema, naming the field.
 *
 * @example
 * acceptEmptyJsonBodies(app); // DELETE /v1/tokens/x with Content-Type: application/json → 204
 */
export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parse(request, text, done);
  });
}
