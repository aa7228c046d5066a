/**
 * The console's one way to the management API: openapi-fetch over the types generated from the
 * server's OpenAPI document (schema.d.ts), with the session's CSRF token on every change.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

let csrfToken: string | null = null;

/** Remembers the session's CSRF token (from sign-in or GET /v1/session). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && csrfToken !== null) {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
};

/** The typed client; same origin, so the session cookie goes along. */
export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(csrf);

/** An error the API answered, with its code, message and the field it is about. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | undefined,
    readonly hint: string | undefined,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string; hint?: string };
}

/**
 * The data of an openapi-fetch result, or its error thrown as an {@link ApiError}.
 *
 * @example const tenants = unwrap(await api.GET('/v1/tenants'));
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = (result.error ?? {}) as ErrorBody;
    throw new ApiError(
      result.response.status,
      body.error?.code ?? `HTTP_${result.response.status}`,
      body.error?.message ?? `The server answered ${result.response.status}.`,
      body.error?.field,
      body.error?.hint,
    );
  }
  return result.data as T;
}

/** The If-Match header for an entity's version (docs/architecture/management.md#optimistic-concurrency). */
export function ifMatch(version: number): { 'if-match': string } {
  return { 'if-match': `W/"${version}"` };
}
