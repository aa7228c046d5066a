import { UsageError } from '../usage-error.js';
import { segment } from './admin-client.js';

/** Which list an `entries` command works on, from `--tenant`, `--api`, `--key` and `--domains`. */
export interface ListTarget {
  readonly kind: 'tenant' | 'api' | 'key-ips' | 'key-domains';
  /** The collection path under the admin API. */
  readonly path: string;
  /** What to call it in messages: "the IP list of tenant ten_1". */
  readonly label: string;
  /** Tenant lists and API allowlists have state (enabled, expiry, reason) and a lockout guard. */
  readonly full: boolean;
  /** Whether single entries can be read (key rules are read through their list). */
  readonly readable: boolean;
}

/** The target options as commander hands them over. */
export interface TargetOptions {
  readonly tenant?: string | undefined;
  readonly api?: string | undefined;
  readonly key?: string | undefined;
  readonly domains?: boolean | undefined;
}

const WHICH =
  "say which list: --tenant <tenantId> (its IP list), --api <apiId> (its network allowlist), or --tenant <tenantId> --key <keyId> (the key's IP rules; add --domains for its domain rules).";

/**
 * The one list the options name; anything ambiguous is a usage error rather than a guess.
 *
 * @example listTarget({ tenant: 'ten_1' }).path; // '/v1/tenants/ten_1/ip-restriction/entries'
 */
export function listTarget(o: TargetOptions): ListTarget {
  if (o.api !== undefined && (o.tenant !== undefined || o.key !== undefined)) {
    throw new UsageError(`--api names an API's allowlist; it does not go with --tenant or --key. ${WHICH}`);
  }
  if (o.domains === true && o.key === undefined) {
    throw new UsageError(`--domains is for a key's domain rules and needs --key and --tenant. ${WHICH}`);
  }
  if (o.key !== undefined) {
    if (o.tenant === undefined) throw new UsageError(`--key needs --tenant, the key's tenant. ${WHICH}`);
    const key = `/v1/tenants/${segment(o.tenant)}/keys/${segment(o.key)}/restrictions`;
    return o.domains === true
      ? {
          kind: 'key-domains',
          path: `${key}/domains`,
          label: `the domain rules of key ${o.key}`,
          full: false,
          readable: false,
        }
      : {
          kind: 'key-ips',
          path: `${key}/ips`,
          label: `the IP rules of key ${o.key}`,
          full: false,
          readable: false,
        };
  }
  if (o.api !== undefined) {
    return {
      kind: 'api',
      path: `/v1/apis/${segment(o.api)}/allowlist/entries`,
      label: `the allowlist of API ${o.api}`,
      full: true,
      readable: true,
    };
  }
  if (o.tenant !== undefined) {
    return {
      kind: 'tenant',
      path: `/v1/tenants/${segment(o.tenant)}/ip-restriction/entries`,
      label: `the IP list of tenant ${o.tenant}`,
      full: true,
      readable: true,
    };
  }
  throw new UsageError(WHICH);
}
