/** Shapes of the management API, taken from the generated types. */
import type { paths } from '../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** An entry of a tenant's IP list or an API's allowlist, as one entry is read. */
export type IpEntry = Json<
  paths['/v1/tenants/{tenantId}/ip-restriction/entries/{entryId}']['get']['responses'][200]
>;

/** What an added entry answers: the entry and core's warnings about the list (never a dry run here). */
export type IpEntryWithWarnings = IpEntry & { readonly warnings: readonly { readonly message: string }[] };

/** The fields a form sends for an entry. */
export interface EntryFields {
  value: string;
  name: string;
  enabled: boolean;
  expiresAt: string | null;
}

/** An address that presented one of a tenant's keys, with its status and assessment. */
export type ObservedIp = Json<
  paths['/v1/tenants/{tenantId}/observed-ips/{observedId}']['get']['responses'][200]
>;

/** What the assessment of an address says: verdict, score, factors, facts. */
export type Assessment = NonNullable<ObservedIp['assessment']>;

/** An API key, never its secret. */
export type ApiKey = Json<paths['/v1/tenants/{tenantId}/keys/{keyId}']['get']['responses'][200]>;

/** A notification channel: an email recipient or a webhook endpoint. */
export type NotificationChannel = Json<
  paths['/v1/tenants/{tenantId}/notification-channels/{channelId}']['get']['responses'][200]
>;

/** How a channel's test message went: ok, or failed with its reason. */
export type ChannelTestResult = Json<
  paths['/v1/tenants/{tenantId}/notification-channels/{channelId}/test']['post']['responses'][200]
>;
