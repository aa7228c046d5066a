/**
 * Why a test send failed, in the few words a person can act on: the SMTP server refused, the
 * endpoint answered a non-2xx status, nothing answered in time, the SSRF guard refused the
 * destination, or the connection could not be made (docs/review.md#testing-a-channel).
 */
import type { ChannelTestFailure } from '../store/notification-types.js';
import { DestinationRefused } from './destination-guard.js';
import { WebhookHttpError } from './webhook-transport.js';

/** Raised by the test's own deadline; undici's and nodemailer's timeouts are recognised by code. */
export class TestTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms / 1000} s`);
    this.name = 'TestTimeout';
  }
}

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  // nodemailer's: the socket failed, or the server went away before the greeting.
  'ESOCKET',
  'ECONNECTION',
]);

/** The failure and what to show of it. */
export interface ClassifiedFailure {
  readonly reason: ChannelTestFailure;
  readonly detail: string;
  readonly httpStatus: number | null;
}

/**
 * Sorts an error a transport threw into a {@link ChannelTestFailure}.
 *
 * @example
 * classifyTestFailure(new WebhookHttpError(500, ''), 'webhook'); // { reason: 'http-status', httpStatus: 500, … }
 */
export function classifyTestFailure(e: unknown, via: 'smtp' | 'outbox' | 'webhook'): ClassifiedFailure {
  const detail = (e instanceof Error ? e.message : String(e)).slice(0, 300);
  const failure = (reason: ChannelTestFailure, httpStatus: number | null = null): ClassifiedFailure => ({
    reason,
    detail,
    httpStatus,
  });
  // undici may wrap the connector's error: look down the cause chain too.
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 5; x = x.cause, depth++) {
    if (x instanceof DestinationRefused) return { ...failure('destination-refused'), detail: x.message };
    if (x instanceof WebhookHttpError) return failure('http-status', x.status);
    if (x instanceof TestTimeout) return failure('timeout');
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return failure('timeout');
    // nodemailer puts the socket's own code in the message ("connect ECONNREFUSED …").
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return failure('connection');
  }
  if (via === 'smtp') return failure('smtp');
  return failure('error');
}
