/**
 * Serves the built console (apps/console/dist) at /console/ on the admin listener
 * (docs/architecture/console.md#serving): a strict Content-Security-Policy without inline scripts,
 * hashed assets cached for a year, index.html (never cached) for every console route, so a reload or
 * a shared link opens the same page. The files are read once, at start: a few hundred kilobytes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyReply } from 'fastify';
import type { AdminApp } from '../routes/context.js';

/**
 * The console's policy: scripts and styles from this origin only (styles may also be inline: Mantine
 * sets its CSS variables and style props that way; inline *scripts* stay forbidden), calls to this
 * origin only, and no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  /** Vite names files under assets/ by their content's hash: they never change under one name. */
  readonly immutable: boolean;
}

/**
 * Registers GET /console and /console/* (hidden from the OpenAPI document: they are pages, not API).
 *
 * @example
 * registerConsoleAssets(app, '/srv/ipgate/apps/console/dist');
 */
export function registerConsoleAssets(app: AdminApp, dir: string): void {
  const assets = readAssets(dir);
  const index = assets.get('index.html');
  const send = (reply: FastifyReply, asset: Asset) =>
    reply
      .header('content-type', asset.type)
      .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .send(asset.body);
  const config = { access: { role: 'public' as const, scope: 'any' as const } };

  app.get('/console', { config, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect('/console/', 301),
  );
  app.get('/console/*', { config, schema: { hide: true } }, async (request, reply) => {
    if (index === undefined) {
      return reply
        .status(404)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(
          `The web console is not built (no ${join(dir, 'index.html')}). Run npm run build in the repository.`,
        );
    }
    const path = (request.params as { '*': string })['*'];
    const asset = assets.get(path);
    if (asset !== undefined) return send(reply, asset);
    // A missing asset is a 404 (a stale page asking for a file of an older build), not the app.
    if (path.startsWith('assets/') || extname(path) !== '') {
      return reply.status(404).header('content-type', 'text/plain; charset=utf-8').send('Not found.');
    }
    return send(reply, index);
  });
}

function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const full = join(folder, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const path = relative(dir, full).split(sep).join('/');
        assets.set(path, {
          body: readFileSync(full),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          immutable: path.startsWith('assets/'),
        });
      }
    }
  };
  walk(dir);
  return assets;
}
