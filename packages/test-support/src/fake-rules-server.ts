import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PUBLISHED_RULES_FORMAT, type PublishedRules, type PublishedScope } from '@ipgate/core';
import { close } from './sockets.js';

/**
 * A stand-in for `ipgate serve`'s rules endpoints that speaks exactly the protocol `liveRules`
 * follows: `GET /v1/rules/apis/{id}` or `/v1/rules/tenants/{id}` with a bearer token; with
 * `If-None-Match: "<version>"` and `?wait=s` it holds the request until the rules change (200) or
 * the wait passes (304).
 */
export class FakeRulesServer {
  version = 1;
  requests: { url: string; ifNoneMatch: string | undefined; authorization: string | undefined }[] = [];
  /** When set, answered instead of the document (to test refused documents). */
  override: { status: number; body: string } | undefined;
  private server: Server | undefined;
  private waiting = new Set<() => void>();
  private entries: { id: string; name: string; value: string }[] = [];

  constructor(
    readonly token: string,
    private scope: PublishedScope,
  ) {}

  document(): PublishedRules {
    return {
      format: PUBLISHED_RULES_FORMAT,
      version: this.version,
      scope: this.scope,
      entries: this.entries,
    };
  }

  /** Replaces the rules and wakes every long poll, as a change on the real server does. */
  set(values: readonly string[], scope?: PublishedScope): void {
    this.entries = values.map((value, i) => ({ id: `ent_${i}`, name: `entry ${i}`, value }));
    if (scope !== undefined) this.scope = scope;
    this.version++;
    for (const wake of this.waiting) wake();
  }

  async start(port = 0): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  async stop(): Promise<void> {
    for (const wake of this.waiting) wake();
    if (this.server) await close(this.server);
    this.server = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({
      url: req.url ?? '',
      ifNoneMatch: req.headers['if-none-match'],
      authorization: req.headers.authorization,
    });
    const path =
      this.scope.kind === 'api'
        ? `/v1/rules/apis/${encodeURIComponent(this.scope.apiId)}`
        : `/v1/rules/tenants/${encodeURIComponent(this.scope.tenantId)}`;
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      json(res, 401, { error: 'no' });
      return;
    }
    if (url.pathname !== path) {
      json(res, 404, { error: 'not found' });
      return;
    }
    if (this.override) {
      res.writeHead(this.override.status, { 'content-type': 'application/json' });
      res.end(this.override.body);
      return;
    }
    const known = req.headers['if-none-match'];
    const wait = Number(url.searchParams.get('wait') ?? 0);
    if (known === `"${this.version}"` && wait > 0) {
      const timer = setTimeout(() => finish(), wait * 1000);
      const finish = () => {
        clearTimeout(timer);
        this.waiting.delete(finish);
        if (res.writableEnded || res.destroyed) return;
        if (known === `"${this.version}"`) {
          res.writeHead(304, { etag: known });
          res.end();
        } else this.send(res);
      };
      this.waiting.add(finish);
      req.on('close', () => {
        clearTimeout(timer);
        this.waiting.delete(finish);
      });
      return;
    }
    this.send(res);
  }

  private send(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', etag: `"${this.version}"` });
    res.end(JSON.stringify(this.document()));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Polls until `condition` holds or `ms` pass; returns the time it took. */
export async function until(condition: () => boolean, ms = 3000): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - start;
}
