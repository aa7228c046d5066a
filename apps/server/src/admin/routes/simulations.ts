/**
 * The simulate routes (docs/architecture/pipeline.md#simulating-a-change): one per kind of list,
 * each taking a draft and a window and answering what the draft would have done to the recorded
 * traffic. Read-only, so `viewer` may simulate.
 */
import type { TObject } from 'typebox';
import type { SimulationTarget } from '../../simulation/simulate.js';
import type { Simulator } from '../../simulation/simulator.js';
import type { AccessScope } from '../auth/access.js';
import { errorResponses } from '../schemas/common.js';
import {
  SimulateBody,
  type SimulateBodyDto,
  Simulation,
  toListDraft,
  toSimulationDto,
  toSimulationOptions,
} from '../schemas/simulation.js';
import { type AdminApp, ApiParams, KeyParams, TenantParams } from './context.js';

interface SimulateRoute {
  readonly path: string;
  readonly params: TObject;
  readonly scope: AccessScope;
  readonly tag: string;
  readonly noun: string;
  /** Request bodies for the OpenAPI document, in this kind of list's own values. */
  readonly examples: readonly SimulateBodyDto[];
  target(params: Record<string, string>): SimulationTarget;
}

const ROUTES: readonly SimulateRoute[] = [
  {
    path: '/v1/tenants/:tenantId/ip-restriction/simulate',
    params: TenantParams,
    scope: 'tenant',
    tag: 'ip-restriction',
    noun: "the tenant's IP list (and mode)",
    examples: [
      {
        draft: { add: [{ value: '198.51.100.0/24', name: 'new office' }] },
        since: '2026-12-01T00:00:00Z',
        until: '2026-12-02T00:00:00Z',
      },
      { draft: {}, mode: 'manual' },
    ],
    target: (p) => ({ kind: 'tenant', tenantId: p['tenantId'] as string }),
  },
  {
    path: '/v1/apis/:apiId/allowlist/simulate',
    params: ApiParams,
    scope: 'global',
    tag: 'apis',
    noun: "the API's network allowlist",
    examples: [{ draft: { add: [{ value: '10.0.0.0/8', name: 'internal network' }] }, top: 20 }],
    target: (p) => ({ kind: 'api', apiId: p['apiId'] as string }),
  },
  {
    path: '/v1/tenants/:tenantId/keys/:keyId/restrictions/ips/simulate',
    params: KeyParams,
    scope: 'tenant',
    tag: 'key-restrictions',
    noun: "the key's IP list",
    examples: [
      { draft: { add: [{ value: '198.51.100.7', name: 'build server' }] }, restrictionEnabled: true },
    ],
    target: (p) => ({ kind: 'key-ips', tenantId: p['tenantId'] as string, keyId: p['keyId'] as string }),
  },
  {
    path: '/v1/tenants/:tenantId/keys/:keyId/restrictions/domains/simulate',
    params: KeyParams,
    scope: 'tenant',
    tag: 'key-restrictions',
    noun: "the key's domain list",
    examples: [{ draft: { add: [{ value: '*.example.com', name: 'portal' }] }, restrictionEnabled: true }],
    target: (p) => ({ kind: 'key-domains', tenantId: p['tenantId'] as string, keyId: p['keyId'] as string }),
  },
];

/**
 * Registers the simulate routes.
 *
 * @example
 * registerSimulationRoutes(app, { simulator: createSimulator(store, () => engine.current) });
 */
export function registerSimulationRoutes(app: AdminApp, { simulator }: { simulator: Simulator }): void {
  for (const route of ROUTES) {
    app.post(
      route.path,
      {
        config: { access: { role: 'viewer', scope: route.scope } },
        schema: {
          summary: `Simulate a change of ${route.noun} on recorded traffic`,
          description:
            'Decides the recorded requests of the window (default: the last 24 hours) with the rules in force and with the draft, and answers what would flip: requests, distinct addresses and keys, the top addresses, and the draft entries no request would match. Writes nothing. Reads at most maxRequests records, oldest first.',
          tags: [route.tag],
          params: route.params,
          body: { ...SimulateBody, examples: route.examples },
          response: {
            200: { ...Simulation, description: 'What the draft would have done.' },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const body = request.body;
        const result = await simulator.run(
          route.target(request.params as Record<string, string>),
          toListDraft(body.draft),
          toSimulationOptions(body),
        );
        return toSimulationDto(result);
      },
    );
  }
}
