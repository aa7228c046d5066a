/**
 * `/v1/tenants/{tenantId}/observed-ips`: every address that presented a tenant's key, and the review
 * actions on it (docs/architecture/review.md).
 */
import { IpAddress, IpSet } from '@ipgate/core';
import { Type } from 'typebox';
import { AutoReview } from '../../review/auto-review.js';
import { noNetworkData } from '../../review/network-facts.js';
import { defaultReviewSettings } from '../../review/review-settings.js';
import { withEtag } from '../http/etag.js';
import { Assessment, type AssessmentDto } from '../schemas/assessment.js';
import { errorResponses, Id, IfMatchHeaders, Page } from '../schemas/common.js';
import { toIpEntryDto } from '../schemas/ip-entries.js';
import { toKeyDto } from '../schemas/keys.js';
import {
  AuthorizeBody,
  AuthorizeResult,
  ObservedIp,
  ObservedIpQuery,
  RejectBody,
  RejectResult,
  toObservedIpDto,
} from '../schemas/observed-ips.js';
import { type AdminApp, type AdminDeps, defined, mutation, page, TenantParams } from './context.js';

const tags = ['observed-ips'];
const ObservedParams = Type.Object({ ...TenantParams.properties, observedId: Id('The observed address.') });

/**
 * Registers the observed address routes.
 */
export function registerObservedIpRoutes(app: AdminApp, { store, engine, autoReview }: AdminDeps): void {
  const config = (role: 'viewer' | 'editor') => ({ access: { role, scope: 'tenant' as const } });
  // An app built without the server's review (tests of the management API alone) still answers,
  // with the default weights and no network data.
  const assessor = autoReview ?? withoutNetworkData;

  app.get(
    '/v1/tenants/:tenantId/observed-ips',
    {
      config: config('viewer'),
      schema: {
        summary: 'List observed addresses',
        description: 'Newest lastSeen first; filter by status and key.',
        tags,
        params: TenantParams,
        querystring: ObservedIpQuery,
        response: { 200: Page(ObservedIp), ...errorResponses },
      },
    },
    async (request) => {
      const { status, keyId, ...paging } = request.query;
      const result = await store.listObservedIps(
        request.params.tenantId,
        defined({ status, keyId }),
        page(paging),
      );
      return {
        items: result.items.map(toObservedIpDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.get(
    '/v1/tenants/:tenantId/observed-ips/:observedId',
    {
      config: config('viewer'),
      schema: {
        summary: 'Get an observed address',
        tags,
        params: ObservedParams,
        response: { 200: ObservedIp, ...errorResponses },
      },
    },
    async (request, reply) =>
      withEtag(
        reply,
        toObservedIpDto(await store.getObservedIp(request.params.tenantId, request.params.observedId)),
      ),
  );

  app.get(
    '/v1/tenants/:tenantId/observed-ips/:observedId/assessment',
    {
      config: config('viewer'),
      schema: {
        summary: 'Re-run the assessment of an observed address',
        description:
          "Assesses the address now, as this node would on its first request in auto mode: against the tenant's list as stored, this node's counters of new addresses per key and failed authentications, the review settings and the network data (the answer names its date). Stores nothing and admits nothing; the assessment stored with the observation is the one made when it was seen.",
        tags,
        params: ObservedParams,
        response: {
          200: {
            ...Assessment,
            description: 'The assessment with every factor, its weight and its evidence.',
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { tenantId, observedId } = request.params;
      const observed = await store.getObservedIp(tenantId, observedId);
      const now = Date.now();
      const live = (await store.listTenantIpEntries(tenantId)).filter(
        (e) => e.enabled && (e.expiresAt === null || e.expiresAt.getTime() > now),
      );
      const list = IpSet.from(live.map((e) => ({ value: e.canonical, name: e.name, id: e.id })));
      const assessment = await assessor.assessOnly(list, observed.keyId, IpAddress.parse(observed.address));
      return assessment as AssessmentDto;
    },
  );

  app.post(
    '/v1/tenants/:tenantId/observed-ips/:observedId/authorize',
    {
      config: config('editor'),
      schema: {
        summary: 'Authorize an observed address',
        description: "Adds it to the tenant's IP list (source review) unless already covered.",
        tags,
        params: ObservedParams,
        headers: IfMatchHeaders,
        body: Type.Optional(AuthorizeBody),
        response: { 200: AuthorizeResult, ...errorResponses },
      },
    },
    async (request) => {
      const { tenantId, observedId } = request.params;
      const result = await store.authorizeObservedIp(
        tenantId,
        observedId,
        defined(request.body ?? {}),
        mutation(request),
      );
      await engine.refresh();
      return {
        observed: toObservedIpDto(result.observed),
        entry: result.entry === null ? null : toIpEntryDto(result.entry),
      };
    },
  );

  app.post(
    '/v1/tenants/:tenantId/observed-ips/:observedId/reject',
    {
      config: config('editor'),
      schema: {
        summary: 'Reject an observed address',
        description:
          'Entries that authorizing it added (source review or auto) are removed and listed in removedEntries; stillListed says whether entries written by a person still let it through. rotateKey also gives the key a new secret. In manual mode the address then stays denied. In auto mode the rejection reaches every node with the tenant rules (within the refresh, about a second): from then on each node denies the address for every key of the tenant without assessing it, and auto never lists it again; authorizing it lets it in again (docs/review.md).',
        tags,
        params: ObservedParams,
        headers: IfMatchHeaders,
        body: Type.Optional(RejectBody),
        response: { 200: RejectResult, ...errorResponses },
      },
    },
    async (request) => {
      const { tenantId, observedId } = request.params;
      const result = await store.rejectObservedIp(
        tenantId,
        observedId,
        defined(request.body ?? {}),
        mutation(request),
      );
      await engine.refresh();
      return {
        observed: toObservedIpDto(result.observed),
        rotated:
          result.rotated === null ? null : { ...toKeyDto(result.rotated.key), secret: result.rotated.secret },
        removedEntries: result.removedEntries.map(toIpEntryDto),
        stillListed: result.stillListed,
      };
    },
  );
}

const withoutNetworkData = new AutoReview({
  facts: noNetworkData,
  settings: defaultReviewSettings,
  authorize: async () => ({ ok: false, why: 'this app lists nothing automatically' }),
});
