/**
 * Every failure of the management API leaves as `{"error": {code, message, field?, hint?}}` with the
 * status of its code: IpGateErrors as catalogued, schema failures as 400 with the field, unknown
 * routes as 404, anything else as 500 — logged in full, answered without internals.
 */
import { IpGateError, isIpGateError } from '@ipgate/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBodyType } from '../schemas/common.js';
import { type SchemaError, validationError } from './validation-error.js';

/**
 * The body for an IpGateError.
 *
 * @example
 * errorBody(new IpGateError('IPG_NOT_FOUND', 'No key "k".')); // { error: { code: 'IPG_NOT_FOUND', message: 'No key "k".' } }
 */
export function errorBody(error: IpGateError): ErrorBodyType {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    },
  };
}

/**
 * Installs the error and not-found handlers on an app.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toIpGateError(error, request);
    if (known === undefined) {
      request.log.error({ err: error }, 'unexpected error in the management API');
      return send(
        reply,
        new IpGateError('IPG_INTERNAL_ERROR', `Something went wrong on the server (request ${request.id}).`),
      );
    }
    if (known.status >= 500) request.log.error({ err: error }, known.message);
    return send(reply, known);
  });

  app.setNotFoundHandler((request, reply) =>
    send(
      reply,
      new IpGateError('IPG_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`, {
        hint: 'The routes are listed at /openapi.json and /docs.',
      }),
    ),
  );
}

function send(reply: FastifyReply, error: IpGateError): FastifyReply {
  return reply.status(error.status).type('application/json; charset=utf-8').send(errorBody(error));
}

/** The IpGateError an error stands for, or undefined when it is unexpected. */
function toIpGateError(error: FastifyError, request: FastifyRequest): IpGateError | undefined {
  if (isIpGateError(error)) return error;
  if (Array.isArray(error.validation)) {
    return validationError(
      error.validation as unknown as SchemaError[],
      error.validationContext,
      knownFields(request, error.validationContext),
    );
  }
  // Fastify's own 4xx (malformed JSON, wrong content type, body too large): its message is safe to show.
  const status = error.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 404) return new IpGateError('IPG_NOT_FOUND', error.message);
    return new IpGateError('IPG_VALIDATION_FAILED', error.message, { field: 'body' });
  }
  return undefined;
}

/** The property names the failing part's schema declares, to tell a caller what a misspelt field should be. */
function knownFields(request: FastifyRequest, context: string | undefined): string[] {
  const schema = request.routeOptions.schema as Record<string, unknown> | undefined;
  const part = schema?.[context ?? 'body'] as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(part?.properties ?? {});
}
