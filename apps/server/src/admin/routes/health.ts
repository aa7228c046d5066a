/**
 * `/healthz` (the process answers), `/readyz` (the store answers and a snapshot is compiled) and
 * `/metrics` (Prometheus text). Public, like every probe and scrape endpoint on a loopback listener.
 */
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import type { RulesStatus } from '../../snapshot/snapshot-engine.js';
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
  options: {
    readonly ready: () => Promise<boolean> | boolean;
    readonly registry: Registry;
    /** Shown by `/readyz` when given: where the rules in force came from. */
    readonly rulesStatus?: (() => RulesStatus) | undefined;
  },
): void {
  const config = { access: { role: 'public' as const, scope: 'any' as const } };
  const Status = Type.Object({ status: Type.String() });
  const Rules = Type.Object(
    {
      source: Type.Union([Type.Literal('store'), Type.Literal('last-good-copy'), Type.Literal('none')], {
        description:
          'store: read from the store; last-good-copy: from the copy on disk, the store not reached since start; none: no rules, every request is refused.',
      }),
      version: Type.Integer({ description: 'Change version of the rules in force.' }),
      ageSeconds: Type.Union([Type.Number(), Type.Null()], {
        description: 'Seconds since the rules were last known to be the store’s; null when none are loaded.',
      }),
      copyWrittenAt: Type.Optional(Type.String({ description: 'When the copy in force was written.' })),
      copyRefused: Type.Optional(Type.String({ description: 'Why the copy on disk was not used.' })),
      storeError: Type.Optional(Type.String({ description: 'The last error reading the store.' })),
    },
    {
      description: 'Where the rules in force came from.',
      examples: [
        {
          source: 'last-good-copy',
          version: 42,
          ageSeconds: 310.5,
          copyWrittenAt: '2026-01-05T10:00:00.000Z',
          storeError: 'The store cannot be reached: connect ECONNREFUSED 10.0.0.5:5432.',
        },
      ],
    },
  );
  const Ready = Type.Object(
    { status: Type.String(), rules: Type.Optional(Rules) },
    { description: 'Ready.' },
  );
  const NotReady = Type.Object(
    { error: ErrorBody.properties.error, rules: Type.Optional(Rules) },
    {
      description:
        'Not ready: the store does not answer or no rules are loaded; `rules` says what is served.',
    },
  );

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
        response: { 200: Ready, 503: NotReady },
      },
    },
    async (request, reply) => {
      let ready = false;
      try {
        ready = await options.ready();
      } catch (e) {
        request.log.warn({ err: e }, 'readiness check failed');
      }
      const rules = options.rulesStatus?.();
      if (ready) return { status: 'ready', ...(rules === undefined ? {} : { rules }) };
      return reply.status(503).send({
        error: {
          code: 'IPG_STORE_UNAVAILABLE',
          message: notReadyMessage(rules),
        },
        ...(rules === undefined ? {} : { rules }),
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

function notReadyMessage(rules: RulesStatus | undefined): string {
  switch (rules?.source) {
    case 'last-good-copy':
      return `Not ready: the store cannot be reached; serving the last good rules from disk (version ${rules.version}, written ${rules.copyWrittenAt}).`;
    case 'none':
      return `Not ready: the store cannot be reached and no rules are loaded (${rules.copyRefused ?? 'no usable copy on disk'}); every request is refused.`;
    case 'store':
      return `Not ready: the store cannot be reached; serving the last rules read from it (version ${rules.version}).`;
    default:
      return 'Not ready: the store or the snapshot is not available.';
  }
}
