import { hashSecret } from '../store/secrets.js';
import type {
  Api,
  ApiKey,
  KeyDomainEntry,
  KeyIpEntry,
  RulesDump,
  Tenant,
  TenantIpEntry,
} from '../store/store.js';

const T0 = new Date('2026-01-01T00:00:00Z');

/**
 * Hand-built rules dumps for the snapshot tests: one tenant, one API, one key, with overrides.
 *
 * @example
 * const dump = fixtureDump({ version: 3, tenantEntries: [entry('203.0.113.0/24')] });
 */
export function fixtureDump(parts: {
  readonly version?: number;
  readonly mode?: Tenant['ipMode'];
  readonly tenantEntries?: readonly Partial<TenantIpEntry>[];
  readonly apiEntries?: readonly Partial<TenantIpEntry>[];
  readonly apis?: readonly Partial<Api>[];
  readonly keys?: readonly (Partial<ApiKey> & { readonly secret: string })[];
  readonly keyIps?: readonly Partial<KeyIpEntry>[];
  readonly keyDomains?: readonly Partial<KeyDomainEntry>[];
}): RulesDump {
  const tenant: Tenant = {
    id: 'ten_1',
    name: 'Acme',
    ipMode: parts.mode ?? 'manual',
    ipEntryLimit: 100,
    keyIpLimit: 5,
    keyDomainLimit: 5,
    version: 1,
    createdAt: T0,
    updatedAt: T0,
  };
  const entry = (e: Partial<TenantIpEntry>, i: number) => ({
    id: `ent_${i}`,
    name: '',
    type: 'range' as const,
    value: '203.0.113.0/24',
    canonical: '203.0.113.0/24',
    enabled: true,
    expiresAt: null,
    source: 'manual' as const,
    reason: null,
    createdBy: 'test',
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    tenantId: 'ten_1',
    ...e,
  });
  return {
    version: parts.version ?? 1,
    tenants: [tenant],
    tenantIpEntries: (parts.tenantEntries ?? []).map(entry),
    apis: (parts.apis ?? [{}]).map((a, i) => ({
      id: `api_${i + 1}`,
      name: 'api',
      host: null,
      pathPrefix: '/',
      stripPrefix: false,
      upstreamUrl: 'http://127.0.0.1:9/',
      authHeader: 'authorization' as const,
      version: 1,
      createdAt: T0,
      updatedAt: T0,
      ...a,
    })),
    apiAllowlistEntries: (parts.apiEntries ?? []).map((e, i) => {
      const { tenantId: _t, ...rest } = entry(e, 100 + i);
      return { ...rest, apiId: 'api_1' };
    }),
    keys: (parts.keys ?? [{ secret: 'ipg_live_one' }]).map(({ secret, ...k }, i) => ({
      id: `key_${i + 1}`,
      tenantId: 'ten_1',
      name: 'key',
      prefix: secret.slice(0, 13),
      status: 'active' as const,
      ipRestrictionEnabled: false,
      domainRestrictionEnabled: false,
      version: 1,
      createdAt: T0,
      updatedAt: T0,
      rotatedAt: null,
      revokedAt: null,
      secretHash: hashSecret(secret),
      ...k,
    })),
    keyIpEntries: (parts.keyIps ?? []).map((e, i) => ({
      id: `kip_${i}`,
      keyId: 'key_1',
      name: '',
      type: 'ip' as const,
      value: '203.0.113.7',
      canonical: '203.0.113.7',
      version: 1,
      createdAt: T0,
      updatedAt: T0,
      ...e,
    })),
    keyDomainEntries: (parts.keyDomains ?? []).map((e, i) => ({
      id: `kdo_${i}`,
      keyId: 'key_1',
      name: '',
      value: 'app.example.com',
      canonical: 'app.example.com',
      version: 1,
      createdAt: T0,
      updatedAt: T0,
      ...e,
    })),
  } as RulesDump;
}
