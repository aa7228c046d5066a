import { hashSecret } from '../secrets/secrets.js';
import type { Api, ApiKey, IpMode, KeyRules, RuleDomain, RuleEntry, RulesChunk } from '../store/store.js';
import { compileAll } from './compiled-rules.js';
import type { Snapshot } from './snapshot.js';

/** An entry of a fixture list: what the store hands over, plus `enabled` (false: the store leaves it out). */
type FixtureEntry = Partial<RuleEntry> & { readonly enabled?: boolean };

/** The parts of a fixture; everything has a default: one tenant, one API, one key. */
export interface FixtureParts {
  readonly version?: number;
  readonly mode?: IpMode;
  /** The tenant's `enforce` (default true). */
  readonly enforce?: boolean;
  readonly tenantEntries?: readonly FixtureEntry[];
  readonly apiEntries?: readonly FixtureEntry[];
  readonly apis?: readonly Partial<Api>[];
  readonly keys?: readonly (Partial<ApiKey> & { readonly secret: string })[];
  readonly keyIps?: readonly Partial<RuleEntry>[];
  readonly keyDomains?: readonly Partial<RuleDomain>[];
}

/**
 * Hand-built rules for the snapshot tests, as the store's `loadRules` would hand them over: tenant
 * `ten_1`, APIs `api_1…`, keys `key_1…` (entries go to the first API and the first key).
 *
 * @example
 * const chunk = fixtureRules({ version: 3, tenantEntries: [{ value: '203.0.113.0/24' }] });
 */
export function fixtureRules(parts: FixtureParts = {}): RulesChunk {
  const version = parts.version ?? 1;
  const entries = (list: readonly FixtureEntry[] | undefined, prefix: string): RuleEntry[] =>
    (list ?? [])
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.enabled !== false)
      .map(({ e, i }) => {
        const { enabled: _enabled, ...rest } = e;
        const value = rest.value ?? '203.0.113.0/24';
        return {
          id: `${prefix}_${i}`,
          name: '',
          type: value.includes('/') || value.includes('-') ? 'range' : 'ip',
          value,
          expiresAt: null,
          ...rest,
        } as RuleEntry;
      });
  const keys: KeyRules[] = (parts.keys ?? [{ secret: 'ipg_live_one' }])
    .filter((k) => k.status !== 'revoked')
    .map(({ secret, ...k }, i) => ({
      key: {
        id: k.id ?? `key_${i + 1}`,
        tenantId: k.tenantId ?? 'ten_1',
        name: k.name ?? 'key',
        ipRestrictionEnabled: k.ipRestrictionEnabled ?? false,
        domainRestrictionEnabled: k.domainRestrictionEnabled ?? false,
        secretHash: hashSecret(secret),
      },
      ipEntries: i === 0 ? entries(parts.keyIps, 'kip') : [],
      domains:
        i === 0
          ? (parts.keyDomains ?? []).map((d, j) => ({
              id: `kdo_${j}`,
              name: '',
              value: 'app.example.com',
              ...d,
            }))
          : [],
    }));
  return {
    version,
    tenants: [
      {
        tenant: { id: 'ten_1', ipMode: parts.mode ?? 'manual', enforce: parts.enforce ?? true },
        entries: entries(parts.tenantEntries, 'ent'),
      },
    ],
    apis: (parts.apis ?? [{}]).map((a, i) => ({
      api: {
        id: a.id ?? `api_${i + 1}`,
        name: a.name ?? 'api',
        host: a.host ?? null,
        pathPrefix: a.pathPrefix ?? '/',
        stripPrefix: a.stripPrefix ?? false,
        upstreamUrl: a.upstreamUrl ?? 'http://127.0.0.1:9/',
        authHeader: a.authHeader ?? 'authorization',
        enforce: a.enforce ?? true,
      },
      entries: i === 0 ? entries(parts.apiEntries, 'aent') : [],
    })),
    keys,
  };
}

/**
 * The snapshot of {@link fixtureRules}, compiled as of `now` (default: the current time).
 *
 * @example
 * const snapshot = fixtureSnapshot({ tenantEntries: [{ value: '203.0.113.0/24' }] });
 */
export function fixtureSnapshot(parts: FixtureParts = {}, options: { readonly now?: Date } = {}): Snapshot {
  return compileAll(fixtureRules(parts), (options.now ?? new Date()).getTime()).snapshot;
}
