import { denialBody } from '@ipgate/core';

/** Why the gateway answers a request itself instead of the upstream. */
export type GatewayAnswer =
  | 'denied'
  | 'bad-target'
  | 'ambiguous-path'
  | 'bad-host'
  | 'unauthenticated'
  | 'no-route'
  | 'not-ready'
  | 'upstream-unreachable'
  | 'upstream-timeout'
  | 'internal-error';

const ANSWERS: Readonly<Record<GatewayAnswer, { readonly status: number; readonly message?: string }>> = {
  // The denial body is core's, word for word (docs/architecture/pipeline.md#the-denial-body).
  denied: { status: 403 },
  'bad-target': { status: 400, message: 'The request target cannot be routed.' },
  'ambiguous-path': {
    status: 400,
    message:
      'The path has an escape or segment that servers read differently (%u, an escaped control byte, escapes that are not UTF-8, a trailing dot or space); send the plain path.',
  },
  'bad-host': {
    status: 400,
    message: 'The Host header must be one host name or address, optionally with a port, sent once.',
  },
  unauthenticated: { status: 401, message: 'A valid API key is required.' },
  'no-route': { status: 404, message: 'No API is served at this address.' },
  'not-ready': { status: 503, message: 'The gateway has not loaded its rules yet.' },
  'upstream-unreachable': { status: 502, message: 'The upstream could not be reached.' },
  'upstream-timeout': { status: 504, message: 'The upstream did not answer in time.' },
  'internal-error': { status: 500, message: 'The gateway could not handle the request.' },
};

/**
 * Status and JSON body of an answer the gateway gives itself. Every body has the shape of the denial
 * body, `{"error": "…", "requestId": "…"}`, and names no rule: the operator finds the reason by id.
 *
 * @example
 * gatewayAnswer('denied', 'req_1');
 * // { status: 403, body: '{"error":"Access denied. You don\'t have permission to access this.","requestId":"req_1"}' }
 */
export function gatewayAnswer(answer: GatewayAnswer, requestId: string): { status: number; body: string } {
  const { status, message } = ANSWERS[answer];
  const body = message === undefined ? denialBody(requestId) : { error: message, requestId };
  return { status, body: JSON.stringify(body) };
}

/**
 * Which 400 answer a refused route gets: the gateway and the decision endpoint say the same.
 *
 * @example
 * badRequestAnswer('path-ambiguous'); // 'ambiguous-path'
 */
export function badRequestAnswer(reason: string): GatewayAnswer {
  if (reason === 'host-invalid') return 'bad-host';
  if (reason === 'path-ambiguous') return 'ambiguous-path';
  return 'bad-target';
}
