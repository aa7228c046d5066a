/**
 * `/v1/tenants/{tenantId}/notification-channels`, `…/notification-deliveries` and `…/outbox`: where a
 * tenant's owners are told about new addresses, how each message went, and the emails kept when no
 * SMTP server is configured (docs/architecture/review.md#notifications); and `…/{channelId}/test`,
 * which sends a test message now (docs/review.md#testing-a-channel).
 */
import { Type } from 'typebox';
import { type ChannelTester, ChannelTestThrottled } from '../../notify/channel-tester.js';
import { literalDestinationProblem } from '../../notify/destination-guard.js';
import { invalid } from '../../store/errors.js';
import { withEtag } from '../http/etag.js';
import { errorAnswer, errorResponses, Id, IfMatchHeaders, Page, PageQuery } from '../schemas/common.js';
import {
  Channel,
  ChannelTestResult,
  CreateChannelBody,
  CreatedChannel,
  Delivery,
  DeliveryQuery,
  OutboxEmail,
  toChannelDto,
  toChannelTestDto,
  toDeliveryDto,
  toOutboxDto,
  UpdateChannelBody,
} from '../schemas/notifications.js';
import { type AdminApp, type AdminDeps, creation, defined, mutation, page, TenantParams } from './context.js';

const tags = ['notifications'];
const ChannelParams = Type.Object({ ...TenantParams.properties, channelId: Id('The channel.') });

/** What the routes need beyond the store. */
export interface NotificationRouteOptions {
  /** Webhook URLs on private or loopback addresses are accepted (`--webhook-allow-private`). */
  readonly webhookAllowPrivate: boolean;
  /** Sends a channel's test message. */
  readonly tester: ChannelTester;
}

/**
 * Registers the notification routes.
 */
export function registerNotificationRoutes(
  app: AdminApp,
  { store }: AdminDeps,
  options: NotificationRouteOptions,
): void {
  const config = (role: 'viewer' | 'editor') => ({ access: { role, scope: 'tenant' as const } });
  const checkTarget = (kind: string, target: string | undefined): void => {
    if (kind !== 'webhook' || target === undefined || options.webhookAllowPrivate) return;
    let problem: string | undefined;
    try {
      problem = literalDestinationProblem(target);
    } catch {
      return; // not a URL: the store says so, with the field
    }
    if (problem !== undefined)
      throw invalid(
        'target',
        `A webhook URL may not point at a ${problem} address.`,
        'Use a public address, or start ipgate with --webhook-allow-private.',
      );
  };

  app.get(
    '/v1/tenants/:tenantId/notification-channels',
    {
      config: config('viewer'),
      schema: {
        summary: 'List notification channels',
        description: 'Email recipients and webhook endpoints, oldest first; failing ones say so.',
        tags,
        params: TenantParams,
        response: { 200: Type.Object({ items: Type.Array(Channel) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await store.notifications.listChannels(request.params.tenantId)).map(toChannelDto),
    }),
  );

  app.post(
    '/v1/tenants/:tenantId/notification-channels',
    {
      config: config('editor'),
      schema: {
        summary: 'Add a notification channel',
        description:
          'An email recipient or a webhook endpoint. A webhook answer carries its signing secret once.',
        tags,
        params: TenantParams,
        body: CreateChannelBody,
        response: { 201: CreatedChannel, ...errorResponses },
      },
    },
    async (request, reply) => {
      checkTarget(request.body.kind, request.body.target);
      const { channel, secret } = await store.notifications.createChannel(
        request.params.tenantId,
        defined(request.body),
        creation(request),
      );
      reply.status(201);
      return withEtag(reply, { ...toChannelDto(channel), secret });
    },
  );

  app.get(
    '/v1/tenants/:tenantId/notification-channels/:channelId',
    {
      config: config('viewer'),
      schema: {
        summary: 'Get a notification channel',
        tags,
        params: ChannelParams,
        response: { 200: Channel, ...errorResponses },
      },
    },
    async (request, reply) =>
      withEtag(
        reply,
        toChannelDto(await store.notifications.getChannel(request.params.tenantId, request.params.channelId)),
      ),
  );

  app.patch(
    '/v1/tenants/:tenantId/notification-channels/:channelId',
    {
      config: config('editor'),
      schema: {
        summary: 'Change a notification channel',
        description: 'A new target clears the failure count.',
        tags,
        params: ChannelParams,
        headers: IfMatchHeaders,
        body: UpdateChannelBody,
        response: { 200: Channel, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId, channelId } = request.params;
      if (request.body.target !== undefined) {
        const current = await store.notifications.getChannel(tenantId, channelId);
        checkTarget(current.kind, request.body.target);
      }
      const channel = await store.notifications.updateChannel(
        tenantId,
        channelId,
        defined(request.body),
        mutation(request),
      );
      return withEtag(reply, toChannelDto(channel));
    },
  );

  app.delete(
    '/v1/tenants/:tenantId/notification-channels/:channelId',
    {
      config: config('editor'),
      schema: {
        summary: 'Remove a notification channel',
        description: 'Its queued deliveries go with it.',
        tags,
        params: ChannelParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null({ description: 'Removed.' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await store.notifications.deleteChannel(
        request.params.tenantId,
        request.params.channelId,
        mutation(request),
      );
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/tenants/:tenantId/notification-channels/:channelId/test',
    {
      config: config('editor'),
      schema: {
        summary: 'Send a test message to a notification channel',
        description:
          'Sends one message marked as a test to this channel now, through the real transport (SMTP, or the outbox without --smtp-url; a signed `channel.test` webhook event), and answers how it went within 10 s: `result` ok or failed with `reason` and `detail`. A failed test still answers 200. It never enters the delivery queue. A success clears `failing`; a failure leaves the channel as it is. One test per channel every 10 s (429 IPG_CHANNEL_TEST_THROTTLED); audited as tenant.notification_channel.tested.',
        tags,
        params: ChannelParams,
        response: {
          200: ChannelTestResult,
          ...errorResponses,
          429: errorAnswer(
            'The channel was tested moments ago; nothing was sent, see Retry-After (IPG_CHANNEL_TEST_THROTTLED).',
          ),
        },
      },
    },
    async (request, reply) => {
      const { tenantId, channelId } = request.params;
      try {
        const { result, channel } = await options.tester.test(tenantId, channelId, creation(request).actor);
        return toChannelTestDto(result, channel);
      } catch (e) {
        if (e instanceof ChannelTestThrottled) reply.header('retry-after', String(e.retryAfterSeconds));
        throw e;
      }
    },
  );

  app.get(
    '/v1/tenants/:tenantId/notification-deliveries',
    {
      config: config('viewer'),
      schema: {
        summary: 'List notification deliveries',
        description: 'Newest first, each with its attempts (the delivery log).',
        tags,
        params: TenantParams,
        querystring: DeliveryQuery,
        response: { 200: Page(Delivery), ...errorResponses },
      },
    },
    async (request) => {
      const { status, channelId, ...paging } = request.query;
      const result = await store.notifications.listDeliveries(
        request.params.tenantId,
        defined({ status, channelId }),
        page(paging),
      );
      return {
        items: result.items.map(toDeliveryDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );

  app.get(
    '/v1/tenants/:tenantId/outbox',
    {
      // Editor, not viewer: the emails carry the one-click links, which act with an editor's power.
      config: config('editor'),
      schema: {
        summary: 'Read the outbox',
        description:
          'Emails kept instead of sent because no SMTP server is configured (--smtp-url), newest first.',
        tags,
        params: TenantParams,
        querystring: PageQuery,
        response: { 200: Page(OutboxEmail), ...errorResponses },
      },
    },
    async (request) => {
      const result = await store.notifications.listOutbox(request.params.tenantId, page(request.query));
      return {
        items: result.items.map(toOutboxDto),
        ...(result.nextCursor === undefined ? {} : { nextCursor: result.nextCursor }),
      };
    },
  );
}
