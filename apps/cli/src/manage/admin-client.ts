import { ExitCode } from '../exit-code.js';
import { adviceFor } from './advice.js';
import { exitCodeForStatus, RemoteError } from './remote-error.js';
import type { ServerTarget } from './server-target.js';

/** How long one request may take before the command gives up on the server. */
const TIMEOUT_MS = 30_000;
/** The largest page the API hands out. */
const MAX_PAGE = 500;

/** A request to the management API. */
export interface CallOptions {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** The ETag of the last read (`W/"3"`): the server applies the write only at that version. */
  readonly ifMatch?: string | undefined;
  /** Which command-line option sets each request field, so an error about a field names the option. */
  readonly options?: Readonly<Record<string, string>>;
}

/** A successful answer. */
export interface Answer<T> {
  readonly status: number;
  /** The ETag of the entity, for the next write's If-Match. */
  readonly etag: string | undefined;
  readonly body: T;
}

/** A page of a list, as the API answers it. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/**
 * The management API over HTTP (fetch), with its errors turned into {@link RemoteError}s that say what
 * to do from the command line.
 *
 * @example
 * const client = new AdminClient(serverTarget(options.server, process.env));
 * const { body } = await client.call<Tenant>('GET', `/v1/tenants/${segment(id)}`);
 */
export class AdminClient {
  constructor(readonly target: ServerTarget) {}

  /** Sends one request; resolves with a 2xx answer, rejects with a RemoteError for anything else. */
  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.target.token}`,
      accept: 'application/json',
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'manual',
      });
    } catch (error) {
      throw unreachable(this.target.url, error);
    }
    const text = await readText(response, this.target.url);
    if (response.status >= 200 && response.status < 300) {
      if (response.status === 204) return { status: 204, etag: etagOf(response), body: undefined as T };
      const body = parseJson(text);
      if (body === undefined) throw notTheApi(this.target.url, response.status, text);
      return { status: response.status, etag: etagOf(response), body: body as T };
    }
    throw this.refusal(response.status, text, options);
  }

  /**
   * Every item of a list, page after page, or the first `limit` items with the cursor to go on from.
   *
   * @example
   * const { items } = await client.list<Tenant>('/v1/tenants');
   */
  async list<T>(
    path: string,
    options: {
      readonly query?: CallOptions['query'];
      readonly limit?: number;
      readonly cursor?: string;
    } = {},
  ): Promise<Page<T>> {
    const items: T[] = [];
    let cursor = options.cursor;
    for (;;) {
      const wanted =
        options.limit === undefined ? MAX_PAGE : Math.min(MAX_PAGE, options.limit - items.length);
      const { body } = await this.call<Page<T>>('GET', path, {
        query: { ...options.query, limit: wanted, cursor },
        options: { limit: '--limit', cursor: '--cursor' },
      });
      if (!Array.isArray(body.items)) throw notTheApi(this.target.url, 200, JSON.stringify(body));
      items.push(...body.items);
      cursor = body.nextCursor;
      if (cursor === undefined) return { items };
      if (options.limit !== undefined && items.length >= options.limit) return { items, nextCursor: cursor };
    }
  }

  private url(path: string, query: CallOptions['query']): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.toString();
    return `${this.target.url}${path}${search === '' ? '' : `?${search}`}`;
  }

  private refusal(status: number, text: string, options: CallOptions): RemoteError {
    const error = apiError(parseJson(text));
    if (error === undefined) return notTheApi(this.target.url, status, text);
    const option = error.field === undefined ? undefined : options.options?.[error.field];
    const advice = adviceFor(error.code, { server: this.target.url, token: this.target.token });
    return new RemoteError(error.message, {
      code: error.code,
      status,
      field: error.field,
      option,
      hint: advice ?? error.hint,
      exitCode: error.code === 'IPG_STORE_UNAVAILABLE' ? ExitCode.unreachable : exitCodeForStatus(status),
    });
  }
}

/**
 * A path segment from user input: an id with a "/" or ".." must not walk to another route.
 *
 * @example `/v1/tenants/${segment(id)}`
 */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly hint?: string;
}

/** The management API's `{"error": {code, message, field?, hint?}}`, or undefined for anything else. */
function apiError(body: unknown): ApiErrorBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, field, hint } = error as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  return {
    code,
    message,
    ...(typeof field === 'string' ? { field } : {}),
    ...(typeof hint === 'string' ? { hint } : {}),
  };
}

function etagOf(response: Response): string | undefined {
  return response.headers.get('etag') ?? undefined;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readText(response: Response, server: string): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw unreachable(server, error);
  }
}

const ADMIN_LISTENER = 'the admin listener (ipgate serve --admin-listen, default 127.0.0.1:8081)';

/** No answer: the connection failed, timed out or broke. */
function unreachable(server: string, error: unknown): RemoteError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const details = { code: 'IPG_SERVER_UNREACHABLE', status: null, exitCode: ExitCode.unreachable };
  if ((error as { name?: unknown } | undefined)?.name === 'TimeoutError') {
    return new RemoteError(`${server} did not answer within ${TIMEOUT_MS / 1000} s.`, {
      ...details,
      hint: `Is ${server} ${ADMIN_LISTENER}, and is the server healthy (GET ${server}/readyz)?`,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new RemoteError(
      `Cannot connect to ${server}: connection refused.`,
      {
        ...details,
        hint: `ipgate serve is not running there. Start it, or point --server (or IPGATE_SERVER) at ${ADMIN_LISTENER}.`,
      },
      { cause: error },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new RemoteError(
      `Cannot connect to ${server}: the host name was not found (${code}).`,
      {
        ...details,
        hint: 'Check the host in --server (or IPGATE_SERVER).',
      },
      { cause: error },
    );
  }
  const reason =
    typeof cause?.message === 'string'
      ? cause.message
      : error instanceof Error
        ? error.message
        : String(error);
  return new RemoteError(
    `Cannot talk to ${server}: ${reason}${code === undefined ? '' : ` (${code})`}.`,
    {
      ...details,
      hint: `Check that --server (or IPGATE_SERVER) is ${ADMIN_LISTENER}.`,
    },
    { cause: error },
  );
}

/** An answer, but not one of the management API. */
function notTheApi(server: string, status: number, text: string): RemoteError {
  // The gateway answers unknown paths with its own body: the most likely mix-up of ports.
  const gateway = /"No API is served at this address\."/.test(text);
  return new RemoteError(
    `${server} answered ${status} with something that is not ipgate's management API${gateway ? ' (it looks like the gateway)' : ''}.`,
    {
      code: 'IPG_SERVER_UNREACHABLE',
      status,
      exitCode: ExitCode.unreachable,
      hint: `Point --server (or IPGATE_SERVER) at ${ADMIN_LISTENER}${gateway ? ', not at the gateway (--listen)' : ''}.`,
    },
  );
}
