/** Shapes of the management API, taken from the generated types. */
import type { paths } from '../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** An entry of a tenant's IP list or an API's allowlist. */
export type IpEntry = Json<
  paths['/v1/tenants/{tenantId}/ip-restriction/entries']['get']['responses'][200]
>['items'][number];

/** What an added entry answers: the entry and core's warnings about the list. */
export type IpEntryWithWarnings = Json<
  paths['/v1/tenants/{tenantId}/ip-restriction/entries']['post']['responses'][201]
>;

/** The fields a form sends for an entry. */
export interface EntryFields {
  value: string;
  name: string;
  enabled: boolean;
  expiresAt: string | null;
}
