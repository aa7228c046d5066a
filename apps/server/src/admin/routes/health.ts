/**
 * `/healthz` (the process answers), `/readyz` (the store answers and a snapshot is compiled) and
 * `/metrics` (Prometheus text). Public, like every probe and scrape endpoint on a loopback listener.
 */
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import { ErrorBody } from '../schemas/common.js';
import type { AdminApp } from './context.js';

/**
 * Registers the probe routes.
 *
 * @example
 * registerHealthRoutes(app, { ready: async () => store.currentVersion().then(() => true), registry });
 */
export function registerHealthRoutes(
  app: AdminApp,
  options: { readonly ready: () => Promise<boolean> | boolean; readonly registry: Registry },
): void {
  const config = { access: { role: 'public' as const, scope: 'any' as const } };
  const Status = Type.Object({ status: Type.String() });

  app.get(
    '/healthz',
    {
      config,
      schema: { summary: 'Liveness', tags: ['health'], response: { 200: Status } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config,
      schema: {
        summary: 'Readiness',
        description: '503 until the store answers and a snapshot is compiled.',
        tags: ['health'],
        response: { 200: Status, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      let ready = false;
      try {
        ready = await options.ready();
      } catch (e) {
        request.log.warn({ err: e }, 'readiness check failed');
      }
      if (ready) return { status: 'ready' };
      return reply.status(503).send({
        error: {
          code: 'IPG_STORE_UNAVAILABLE',
          message: 'Not ready: the store or the snapshot is not available.',
        },
      });
    },
  );

  app.get(
    '/metrics',
    {
      config,
      schema: {
        summary: 'Prometheus metrics',
        tags: ['health'],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format.' }) },
      },
    },
    async (_request, reply) =>
      reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
}
