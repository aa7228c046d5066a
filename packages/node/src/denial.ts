import { type Decision, denialBody, IpGateError } from '@ipgate/core';

/**
 * What a denied caller receives. Default: 403 with the JSON body of
 * docs/architecture/pipeline.md#the-denial-body (`{"error": "Access denied. …", "requestId": "…"}`), which
 * tells the caller nothing about which rule failed.
 *
 * @example
 * const denial: DenialOptions = {
 *   status: 404, // hide that anything is here
 *   body: (requestId) => ({ message: 'Not found', requestId }),
 * };
 */
export interface DenialOptions {
  /** An HTTP status from 400 to 599. Default 403. */
  readonly status?: number;
  /**
   * The body: an object or array is sent as JSON, a string as text. Receives the decision so that
   * a body may differ by stage; do not put the reason in it, callers should not learn the rules.
   */
  readonly body?: (requestId: string, decision: Decision) => unknown;
  /** Extra response headers, e.g. `{ 'www-authenticate': '…' }`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A denial ready to send: status, headers and the encoded body. */
export interface DenialResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/**
 * Checks the denial options once, when the gate is built (fail fast), and returns the function that
 * renders a denial per request.
 *
 * @example
 * const render = denialRenderer({});
 * const decision = denyClientAddress('client-address-invalid', 'no socket peer');
 * render('req_1', decision).status; // 403
 */
export function denialRenderer(
  options: DenialOptions | undefined,
): (requestId: string, decision: Decision) => DenialResponse {
  const status = options?.status ?? 403;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new IpGateError(
      'IPG_CONFIG_INVALID',
      `denial.status must be a whole number from 400 to 599, not ${String(status)}.`,
      {
        field: 'denial.status',
        hint: 'Leave it out for 403, or use e.g. 404 to hide the endpoint.',
      },
    );
  }
  const makeBody = options?.body ?? denialBody;
  if (typeof makeBody !== 'function') {
    throw new IpGateError(
      'IPG_CONFIG_INVALID',
      'denial.body must be a function (requestId, decision) => body.',
      {
        field: 'denial.body',
        hint: "Write e.g. body: (requestId) => ({ error: 'Forbidden', requestId }).",
      },
    );
  }
  const extra = options?.headers ?? {};
  return (requestId, decision) => {
    const value = makeBody(requestId, decision);
    const text = typeof value === 'string';
    return {
      status,
      headers: { 'content-type': text ? TEXT_TYPE : JSON_TYPE, 'cache-control': 'no-store', ...extra },
      body: text ? value : JSON.stringify(value),
    };
  };
}
