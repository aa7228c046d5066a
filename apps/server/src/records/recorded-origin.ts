/**
 * How the request log keeps the browser origin a decision read, and how a simulation reads it back
 * (docs/architecture/pipeline.md#8-record). Only the origin is kept — never a Referer's path or query,
 * which may carry secrets — and it is enough: domain rules match origins, and the browser/server
 * split is whether there was one.
 */
import { formatOrigin, parseOrigin, type RequestOrigin } from '@ipgate/core';

/** The text `null` stands for a browser request whose Origin (or Referer) was no origin: it matches no rule. */
const NO_ORIGIN = 'null';

const SERVER: RequestOrigin = Object.freeze({ kind: 'server' });

/**
 * What the log keeps of a request's origin: null for a server request, the origin's canonical text
 * for a browser request, `null` (the text) when the browser sent something that is not an origin.
 *
 * @example
 * recordedOrigin(originOf({ referer: 'https://app.example.com/a?b' })); // 'https://app.example.com'
 * recordedOrigin(originOf({})); // null
 */
export function recordedOrigin(origin: RequestOrigin | undefined): string | null {
  if (origin === undefined || origin.kind === 'server') return null;
  return origin.origin === null ? NO_ORIGIN : formatOrigin(origin.origin);
}

/**
 * The origin a recorded request is decided with again: the inverse of {@link recordedOrigin}. Text
 * that is not an origin decides as a browser request with no usable origin (denied by domain rules),
 * never as a server request.
 *
 * @example
 * originFromRecord('https://app.example.com').kind; // 'browser'
 * originFromRecord(null).kind; // 'server'
 */
export function originFromRecord(text: string | null | undefined): RequestOrigin {
  if (text === null || text === undefined) return SERVER;
  return { kind: 'browser', origin: parseOrigin(text), raw: text, source: 'origin' };
}
