/**
 * The document an ipgate server publishes for middlewares and guards that follow its rules live
 * (`liveRules` in @ipgate/node; docs/architecture/management.md#published-rules). Declared once here, so the
 * server that writes it and the clients that read it cannot disagree; a client parses it with
 * {@link parsePublishedRules}, which fails closed on anything it does not understand.
 */
import { RESTRICTION_MODES, type RestrictionMode } from '../decision/decide.js';
import { tryParseEntry } from '../entry/parse-entry.js';
import { IpGateError } from '../errors/ip-gate-error.js';
import { IpSet } from '../set/ip-set.js';

/** The format tag; a client refuses any other, so a future format cannot be misread. */
export const PUBLISHED_RULES_FORMAT = 'ipgate.rules/1';

/**
 * Whose rules these are, and therefore what an empty list means:
 * - `api`: an API's network allowlist. Empty lets everyone through
 *   (docs/architecture/pipeline.md#3-api-network-allowlist).
 * - `tenant`: a tenant's IP restriction by `mode`: `off` lets everyone through; `manual` and `auto`
 *   allow only the listed addresses, and an empty list denies everyone (blocked by default).
 */
export type PublishedScope =
  | { readonly kind: 'api'; readonly apiId: string }
  | { readonly kind: 'tenant'; readonly tenantId: string; readonly mode: RestrictionMode };

/** One enabled, unexpired entry, in canonical form. */
export interface PublishedEntry {
  readonly id: string;
  readonly name: string;
  readonly value: string;
}

/**
 * @example
 * const doc: PublishedRules = {
 *   format: 'ipgate.rules/1',
 *   version: 42,
 *   scope: { kind: 'tenant', tenantId: 'ten_1', mode: 'manual' },
 *   entries: [{ id: 'ent_1', name: 'office', value: '203.0.113.0/24' }],
 * }
 */
export interface PublishedRules {
  readonly format: typeof PUBLISHED_RULES_FORMAT;
  /**
   * Names the scope's content: it increases whenever that content changes (an edit, or an entry
   * expiring) and stays put otherwise, so a client can long-poll with it (`If-None-Match`).
   */
  readonly version: number;
  readonly scope: PublishedScope;
  readonly entries: readonly PublishedEntry[];
}

/** Published rules compiled for the request path. */
export interface CompiledPublishedRules {
  readonly version: number;
  readonly scope: PublishedScope;
  readonly list: IpSet;
  /**
   * Whether an address may pass: `api` scope and `off` mode let everyone through when the list is
   * empty or always, respectively; `manual`/`auto` need a listed address.
   */
  allows(address: string): boolean;
}

/**
 * Checks a published document (as JSON-parsed from the wire or a disk cache) and compiles it.
 * Throws IPG_RULES_INVALID naming the first problem; a client keeps its last good rules then.
 *
 * @example
 * const body = await (await fetch('http://127.0.0.1:8081/v1/rules/apis/api_1', { headers: { authorization: 'Bearer ipg_adm_…' } })).text();
 * const rules = parsePublishedRules(JSON.parse(body));
 * rules.allows('203.0.113.7'); // true when listed (or when the scope lets everyone through)
 */
export function parsePublishedRules(value: unknown): CompiledPublishedRules {
  const doc = object(value, 'document');
  if (doc['format'] !== PUBLISHED_RULES_FORMAT) {
    throw invalid(
      'format',
      `format must be "${PUBLISHED_RULES_FORMAT}", not ${JSON.stringify(doc['format'])}.`,
    );
  }
  const version = doc['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw invalid('version', 'version must be a whole number of 0 or more.');
  }
  const scope = parseScope(doc['scope']);
  const rawEntries = doc['entries'];
  if (!Array.isArray(rawEntries)) throw invalid('entries', 'entries must be a list.');
  const entries = rawEntries.map((raw: unknown, index) => {
    const e = object(raw, `entries[${index}]`);
    const id = e['id'];
    const name = e['name'];
    const entryValue = e['value'];
    if (typeof id !== 'string' || typeof name !== 'string' || typeof entryValue !== 'string') {
      throw invalid(`entries[${index}]`, `entries[${index}] must have string id, name and value.`);
    }
    const parsed = tryParseEntry(entryValue);
    if (!parsed.ok) {
      throw invalid(`entries[${index}].value`, `entries[${index}].value: ${parsed.error.message}`);
    }
    return { value: entryValue, name, id };
  });
  const list = IpSet.from(entries);
  const open = scope.kind === 'api' ? list.isEmpty : scope.mode === 'off';
  return {
    version,
    scope,
    list,
    allows: open ? () => true : (address: string) => list.has(address),
  };
}

function parseScope(value: unknown): PublishedScope {
  const scope = object(value, 'scope');
  if (scope['kind'] === 'api' && typeof scope['apiId'] === 'string') {
    return { kind: 'api', apiId: scope['apiId'] };
  }
  if (
    scope['kind'] === 'tenant' &&
    typeof scope['tenantId'] === 'string' &&
    (RESTRICTION_MODES as readonly unknown[]).includes(scope['mode'])
  ) {
    return { kind: 'tenant', tenantId: scope['tenantId'], mode: scope['mode'] as RestrictionMode };
  }
  throw invalid(
    'scope',
    'scope must be {"kind":"api","apiId":…} or {"kind":"tenant","tenantId":…,"mode":"off"|"manual"|"auto"}.',
  );
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(what, `${what} must be a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function invalid(field: string, message: string): IpGateError {
  return new IpGateError('IPG_RULES_INVALID', `Published rules refused: ${message}`, {
    field,
    hint: 'The server and this client may be of different versions; the last good rules stay in force.',
  });
}
