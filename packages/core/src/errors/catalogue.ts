/**
 * Every stable code ipgate reports, in one place.
 *
 * Codes are part of the public contract: clients branch on them, operators search logs for them.
 * Never rename or reuse one; add new ones. `docs/errors.md` documents each code and a test keeps
 * that page and this catalogue in step.
 *
 * - `errors`: what an `IpGateError` carries (bad input or bad configuration), with the HTTP status the
 *   management API answers it with.
 * - `warnings`: attached to accepted entries; they never stop a write.
 * - `decisionReasons`: why a request was allowed or denied, as core's `decide()` gives it.
 * - `gatewayReasons`: what the gateway (and the decision endpoint) decides or meets itself, around
 *   core's decision: routing, the key, rules not loaded yet, CORS, the upstream. Recorded and counted
 *   like a decision reason.
 */

export interface ErrorDescriptor {
  /** HTTP status the management API uses for this error. */
  readonly status: number;
  /** One line for people: what went wrong. */
  readonly title: string;
}

export const errors = {
  IPG_ADDRESS_EMPTY: { status: 400, title: 'No address was given.' },
  IPG_ADDRESS_INVALID: { status: 400, title: 'The text is not an IPv4 or IPv6 address.' },
  IPG_ADDRESS_AMBIGUOUS_IPV4: {
    status: 400,
    title:
      'An IPv4 form that other software reads as a different address (leading zero, hex, octal, integer or shortened).',
  },
  IPG_ADDRESS_OUT_OF_RANGE: { status: 400, title: 'An IPv4 part above 255 or an IPv6 group above ffff.' },
  IPG_ADDRESS_ZONE: { status: 400, title: 'IPv6 zone identifiers (%eth0) are not accepted.' },

  IPG_ENTRY_EMPTY: { status: 400, title: 'The entry is empty.' },
  IPG_ENTRY_INVALID: { status: 400, title: 'The entry is not an address, CIDR, netmask or range.' },
  IPG_ENTRY_LIST: { status: 400, title: 'Several entries were written as one; give one entry at a time.' },
  IPG_ENTRY_PREFIX_INVALID: { status: 400, title: 'The prefix length is not a plain number in range.' },
  IPG_ENTRY_NETMASK_NONCONTIGUOUS: { status: 400, title: 'The netmask is not contiguous.' },
  IPG_ENTRY_HOST_BITS: { status: 400, title: 'The CIDR has bits set after the prefix length.' },
  IPG_ENTRY_RANGE_REVERSED: { status: 400, title: 'The range ends before it starts.' },
  IPG_ENTRY_RANGE_MIXED_FAMILY: {
    status: 400,
    title: 'The range starts in one address family and ends in the other.',
  },
  IPG_ENTRY_TYPE_MISMATCH: { status: 400, title: 'The entry does not have the type that was asked for.' },

  IPG_DOMAIN_EMPTY: { status: 400, title: 'The domain rule is empty.' },
  IPG_DOMAIN_INVALID: { status: 400, title: 'The text is not a host name, optionally with scheme and port.' },
  IPG_DOMAIN_WILDCARD: {
    status: 400,
    title: 'A wildcard may only stand as the whole leftmost label: *.example.com.',
  },
  IPG_DOMAIN_SCHEME: { status: 400, title: 'Only http and https origins can be allowed.' },
  IPG_DOMAIN_PORT_INVALID: { status: 400, title: 'The port is not a number from 1 to 65535.' },
  IPG_DOMAIN_HAS_PATH: {
    status: 400,
    title: 'A domain rule names an origin only: no path, query, fragment or user.',
  },

  IPG_ORIGIN_INVALID: {
    status: 400,
    title: 'The text is not an origin as a browser sends it: scheme://host[:port], nothing more.',
  },
  IPG_CSV_INVALID: {
    status: 400,
    title: 'A line of an entry CSV file is not valid CSV, or a column holds a value it cannot.',
  },
  IPG_IMPORT_INVALID: {
    status: 400,
    title: 'Lines of the imported file are not valid; nothing was imported.',
  },
  IPG_IMPORT_DUPLICATE: { status: 400, title: 'Two lines of the imported file name the same addresses.' },
  IPG_IMPORT_TOO_LARGE: { status: 400, title: 'The imported file holds more than 1,000 entries.' },
  IPG_EXPORT_TEXT_UNSAFE: {
    status: 409,
    title: 'An entry has a name the text format cannot hold; export as CSV.',
  },

  IPG_CONFIG_INVALID: { status: 400, title: 'A setting has a value that cannot be used.' },
  IPG_RULES_INVALID: {
    status: 400,
    title: 'A published rules document is malformed or of an unknown format.',
  },

  IPG_TEXT_INVALID: {
    status: 400,
    title: 'A name or label is blank, or holds control or bidirectional-override characters.',
  },
  IPG_CURSOR_INVALID: { status: 400, title: 'The page cursor was not issued by this list, or is damaged.' },

  IPG_NOT_FOUND: { status: 404, title: 'No such resource (or it belongs to another tenant).' },
  IPG_ALREADY_EXISTS: { status: 409, title: 'An equal resource exists already.' },
  IPG_LIMIT_REACHED: { status: 409, title: 'The limit for this list is reached.' },
  IPG_LIMIT_BELOW_COUNT: {
    status: 409,
    title: 'The new limit is below the number of entries the list already holds.',
  },
  IPG_LAST_OWNER: {
    status: 409,
    title: 'The last owner for all tenants cannot be deleted: nobody could manage admin tokens any more.',
  },
  IPG_KEY_REVOKED: { status: 409, title: 'The key is revoked; a revoked key cannot be rotated.' },
  IPG_VERSION_CONFLICT: { status: 412, title: 'The resource changed since the version the request names.' },
  IPG_VALIDATION_FAILED: {
    status: 400,
    title:
      'The request does not match the schema of the route (a field is missing, of the wrong type or unknown).',
  },
  IPG_AUTH_REQUIRED: { status: 401, title: 'No admin credentials were given, or they are not valid.' },
  IPG_AUTH_THROTTLED: {
    status: 429,
    title:
      'Too many failed sign-ins from this address or for these credentials; try again after Retry-After.',
  },
  IPG_CHANNEL_TEST_THROTTLED: {
    status: 429,
    title: 'This notification channel was sent a test message moments ago; try again after Retry-After.',
  },
  IPG_ROLE_FORBIDDEN: { status: 403, title: 'The credentials are valid but their role does not allow this.' },
  IPG_CSRF_REJECTED: {
    status: 403,
    title:
      'A console session request came from another origin, or a state-changing one lacked its X-CSRF-Token.',
  },
  IPG_PRECONDITION_FAILED: {
    status: 412,
    title: 'The If-Match header names no version of the resource (not a version ETag).',
  },
  IPG_SELF_LOCKOUT: {
    status: 409,
    title: "The change would deny the caller's own current address; repeat it with confirmLockout: true.",
  },
  IPG_INTERNAL_ERROR: {
    status: 500,
    title: 'Something unexpected went wrong on the server; it has been logged.',
  },
  IPG_STORE_UNAVAILABLE: {
    status: 503,
    title: 'The store cannot be reached; the last good rules stay in force.',
  },
  // Reported by clients of the management API (the ipgate command), never answered by it; 502 is
  // what a proxy answers for an upstream it could not use.
  IPG_SERVER_UNREACHABLE: {
    status: 502,
    title: 'The management API could not be reached, or what answered is not the management API.',
  },
} as const satisfies Record<string, ErrorDescriptor>;

export type ErrorCode = keyof typeof errors;

export const warnings = {
  IPG_WARN_COVERS_ALL: 'The entry covers every address of its family.',
  IPG_WARN_NON_PUBLIC: 'The entry covers private, loopback, link-local or otherwise reserved space.',
  IPG_WARN_DUPLICATE: 'An earlier entry in the list covers exactly the same addresses.',
  IPG_WARN_COVERED_BY: 'A wider entry in the list covers every address of this one.',
  IPG_WARN_OVERLAPS: 'The entry shares some addresses with another entry; neither covers the other.',
  IPG_WARN_COVERS: 'The entry covers other entries of the list, which then change nothing.',
  IPG_WARN_IPV4_MAPPED: 'The IPv6 entry is IPv4-mapped (::ffff:a.b.c.d) and matches IPv4 callers.',
  IPG_WARN_KEY_ORIGIN_CHOSEN_BY_CALLER:
    'The key has both an IP list and a domain list; a request with a listed Origin skips the IP list, and any server can send one.',
  // No longer given (auto assesses now); kept because codes are never reused.
  IPG_WARN_AUTO_AS_MANUAL: 'Mode auto does not assess addresses yet; it behaves as manual.',
} as const satisfies Record<string, string>;

export type WarningCode = keyof typeof warnings;

export const decisionReasons = {
  allowed: 'Every stage that applies let the request pass.',
  'client-address-invalid':
    'The address of the socket peer or of the chosen forwarded element is not a valid address.',
  'forwarded-header-malformed': 'The forwarding header that had to be read does not follow its syntax.',
  'forwarded-element-invalid':
    'The forwarded element chosen as the client is not an address (garbage, unknown, obfuscated, zone id, bad port).',
  'too-few-hops': 'The hop-count strategy needs more forwarded elements than the request carries.',
  'path-ambiguous':
    'The path has an escape or segment servers read differently (%u, an escaped control byte, escapes that are not UTF-8, a trailing dot or space that names another API); refused with 400.',
  'api-allowlist-not-listed': "The client address is not on the API's network allowlist.",
  'tenant-list-empty': "The tenant's IP restriction is on and lists no address, so every call is blocked.",
  'rules-not-loaded':
    'A middleware following live rules has none yet (no server answer and no cache file): it denies until they arrive.',
  'tenant-ip-not-listed': "The client address is not on the tenant's IP list.",
  'key-server-request-not-allowed':
    'The key allows browser callers only (domain restriction on, IP restriction off).',
  'key-browser-request-not-allowed':
    'The key allows server callers only (IP restriction on, domain restriction off).',
  'key-ip-list-empty': "The key's IP restriction is on and lists no address.",
  'key-ip-not-listed': "The client address is not on the key's IP list.",
  'key-domain-list-empty': "The key's domain restriction is on and lists no domain.",
  'key-domain-not-listed': "The request's origin is not on the key's domain list (a null origin never is).",
} as const satisfies Record<string, string>;

export type DecisionReason = keyof typeof decisionReasons;

export const gatewayReasons = {
  'path-invalid':
    'The request target is not a path the gateway routes: not origin-form, a dot segment, or one an upstream could read as another API.',
  'host-invalid': 'The Host header is not one host name or address (with an optional port), sent once.',
  'no-route': "No API is served at the request's host and path.",
  'key-missing': 'The request carries no key in the header its API takes the key from.',
  'key-ambiguous': 'The key header was sent more than once: two layers could read different copies.',
  'key-unknown': 'The presented key is not a key ipgate knows (never made, revoked or expired).',
  'not-ready': 'The gateway has not loaded its rules yet (no store answer and no last good copy on disk).',
  'cors-preflight': "A CORS preflight from an origin some key's domain list allows, answered by the gateway.",
  'cors-origin-not-allowed': "A CORS preflight from an origin no key's domain list allows.",
  'upstream-unusable': "The API's upstream cannot be used, so the request was not forwarded.",
  'upstream-unreachable': 'The upstream could not be reached, or failed before it answered.',
  'upstream-timeout': 'The upstream did not answer in time.',
  'upstream-body-failed': "The upstream's response broke off after its headers were sent.",
  'client-closed': 'The caller went away before the upstream answered.',
} as const satisfies Record<string, string>;

export type GatewayReason = keyof typeof gatewayReasons;
