/**
 * The on-disk form of a node's last good rules: what the store handed over (`RulesChunk` units),
 * not compiled tables, so a copy survives changes to the compiled form and is compiled again on
 * load exactly as a load from the store would be. See docs/architecture/storage.md, "Last good
 * rules on disk".
 *
 * Layout: a header of {@link HEADER_BYTES} bytes (one JSON object padded with spaces, then `\n`),
 * then one line per unit: `t <tenantId> <json>`, `a <apiId> <json>` or `k <keyId> <tenantId> <json>`.
 * The ids up front let a rewrite replace or drop a unit's line without parsing its JSON. The header
 * names the body's byte length and SHA-256, so a truncated or damaged copy is refused as a whole
 * before any of it is compiled.
 */
import { createHash } from 'node:crypto';
import type { ApiRules, KeyRules, RuleDomain, RuleEntry, TenantRules } from '../store/store.js';

export const LAST_GOOD_FORMAT = 'ipgate-last-good-rules';
/** Bumped when the layout or the meaning of a line changes; a copy of another format is refused. */
export const LAST_GOOD_FORMAT_VERSION = 1;
/** Fixed, so the header can be written last, in place, once the body's checksum is known. */
export const HEADER_BYTES = 1024;

/** What the header says about the copy. */
export interface LastGoodHeader {
  readonly format: typeof LAST_GOOD_FORMAT;
  readonly formatVersion: number;
  /** The store's own id (`Store.storeId`): a copy of another store's rules is refused. */
  readonly storeId: string;
  /** Where the store is (no credentials): a copy made for another store location is refused. */
  readonly storeLocation: string;
  /** The change version the rules reflect. */
  readonly version: number;
  /** When the copy was written (ISO-8601). */
  readonly writtenAt: string;
  /** Units in the body. */
  readonly units: number;
  /** Body length in bytes, after the header. */
  readonly bytes: number;
  /** SHA-256 (hex) over the other header fields and the body: see {@link sealHeader}. */
  readonly sha256: string;
}

/** One unit read back from a line. */
export type LastGoodUnit =
  | { readonly kind: 't'; readonly rules: TenantRules }
  | { readonly kind: 'a'; readonly rules: ApiRules }
  | { readonly kind: 'k'; readonly rules: KeyRules };

/** Why a copy is not used; `message` says it for people. */
export class LastGoodRefused extends Error {
  constructor(
    readonly reason: 'missing' | 'unreadable' | 'foreign' | 'format' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'LastGoodRefused';
  }
}

/**
 * The header's checksum: SHA-256 over the SHA-256 of the body and the other header fields, so that
 * damage to the header (a version, a count) is caught like damage to the body.
 *
 * @example sealHeader({ ...fields }, bodySha256).sha256;
 */
export function sealHeader(fields: Omit<LastGoodHeader, 'sha256'>, bodySha256: string): LastGoodHeader {
  return { ...fields, sha256: headerChecksum(fields, bodySha256) };
}

/**
 * @example headerChecksum(header, bodySha256) === header.sha256; // for a sound copy
 */
export function headerChecksum(fields: Omit<LastGoodHeader, 'sha256'>, bodySha256: string): string {
  const covered = [
    fields.format,
    fields.formatVersion,
    fields.storeId,
    fields.storeLocation,
    fields.version,
    fields.writtenAt,
    fields.units,
    fields.bytes,
  ];
  return createHash('sha256')
    .update(`${bodySha256}\n${JSON.stringify(covered)}`)
    .digest('hex');
}

/**
 * The header as its fixed-size first bytes.
 *
 * @example encodeHeader(header).length === HEADER_BYTES; // true
 */
export function encodeHeader(header: LastGoodHeader): Buffer {
  const json = JSON.stringify(header);
  const bytes = Buffer.byteLength(json);
  if (bytes > HEADER_BYTES - 1)
    throw new Error(`the last good rules header is ${bytes} bytes; at most ${HEADER_BYTES - 1} fit`);
  return Buffer.from(`${json}${' '.repeat(HEADER_BYTES - 1 - bytes)}\n`);
}

/**
 * Reads and checks a header; throws {@link LastGoodRefused} for anything that is not one of ours.
 *
 * @example decodeHeader(firstKilobyte).version; // 42
 */
export function decodeHeader(raw: Buffer): LastGoodHeader {
  if (raw.length < HEADER_BYTES || raw[HEADER_BYTES - 1] !== 0x0a)
    throw new LastGoodRefused('corrupt', 'the file is shorter than its header, or the header is damaged');
  let value: unknown;
  try {
    value = JSON.parse(raw.subarray(0, HEADER_BYTES - 1).toString('utf8'));
  } catch {
    throw new LastGoodRefused('corrupt', 'the header is not JSON');
  }
  const h = value as Partial<Record<keyof LastGoodHeader, unknown>> | null;
  if (typeof h !== 'object' || h === null || h.format !== LAST_GOOD_FORMAT)
    throw new LastGoodRefused('format', `the file is not an ipgate last good rules copy`);
  if (h.formatVersion !== LAST_GOOD_FORMAT_VERSION)
    throw new LastGoodRefused(
      'format',
      `the copy is of format version ${JSON.stringify(h.formatVersion)}; this ipgate reads ${LAST_GOOD_FORMAT_VERSION}`,
    );
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (
    typeof h.storeId !== 'string' ||
    typeof h.storeLocation !== 'string' ||
    !whole(h.version) ||
    typeof h.writtenAt !== 'string' ||
    Number.isNaN(Date.parse(h.writtenAt)) ||
    !whole(h.units) ||
    !whole(h.bytes) ||
    typeof h.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(h.sha256)
  )
    throw new LastGoodRefused('corrupt', 'the header lacks a field or has one of the wrong type');
  return h as LastGoodHeader;
}

/**
 * A unit's line, `\n` included.
 *
 * @example encodeUnit({ kind: 't', rules }); // 't ten_1 {"tenant":…}\n'
 */
export function encodeUnit(unit: LastGoodUnit): string {
  switch (unit.kind) {
    case 't':
      return `t ${unit.rules.tenant.id} ${JSON.stringify(unit.rules)}\n`;
    case 'a':
      return `a ${unit.rules.api.id} ${JSON.stringify(unit.rules)}\n`;
    case 'k':
      return `k ${unit.rules.key.id} ${unit.rules.key.tenantId} ${JSON.stringify(unit.rules)}\n`;
  }
}

/** The kind and ids at the start of a line (without parsing its JSON): what a rewrite needs. */
export interface LineIds {
  readonly kind: 't' | 'a' | 'k';
  readonly id: string;
  /** For a key: its tenant. */
  readonly tenantId: string | undefined;
}

/**
 * @example lineIds('k key_1 ten_1 {…}'); // { kind: 'k', id: 'key_1', tenantId: 'ten_1' }
 */
export function lineIds(line: string): LineIds {
  const kind = line[0];
  if ((kind !== 't' && kind !== 'a' && kind !== 'k') || line[1] !== ' ')
    throw new LastGoodRefused('corrupt', 'a line does not start with a unit kind');
  const idEnd = line.indexOf(' ', 2);
  if (idEnd <= 2) throw new LastGoodRefused('corrupt', 'a line lacks its unit id');
  const id = line.slice(2, idEnd);
  if (kind !== 'k') return { kind, id, tenantId: undefined };
  const tenantEnd = line.indexOf(' ', idEnd + 1);
  if (tenantEnd <= idEnd + 1) throw new LastGoodRefused('corrupt', 'a key line lacks its tenant id');
  return { kind, id, tenantId: line.slice(idEnd + 1, tenantEnd) };
}

/**
 * Parses a unit's line and checks what compiling it relies on; throws {@link LastGoodRefused}.
 *
 * @example decodeUnit('t ten_1 {"tenant":{"id":"ten_1","ipMode":"manual"},"entries":[]}').kind; // 't'
 */
export function decodeUnit(line: string): LastGoodUnit {
  const ids = lineIds(line);
  const jsonAt =
    ids.kind === 'k' ? line.indexOf(' ', line.indexOf(' ', 2) + 1) + 1 : line.indexOf(' ', 2) + 1;
  let value: unknown;
  try {
    value = JSON.parse(line.slice(jsonAt));
  } catch {
    throw new LastGoodRefused('corrupt', `the line of ${ids.id} is not JSON`);
  }
  const bad = (what: string): LastGoodRefused =>
    new LastGoodRefused('corrupt', `the line of ${ids.id} has a bad ${what}`);
  const v = value as Fields<
    'tenant' | 'api' | 'key' | 'entries' | 'ipEntries' | 'domains' | 'rejected'
  > | null;
  if (typeof v !== 'object' || v === null) throw bad('value');
  switch (ids.kind) {
    case 't': {
      const tenant = v.tenant as Fields<'id' | 'ipMode'> | undefined;
      if (
        typeof tenant !== 'object' ||
        tenant === null ||
        tenant.id !== ids.id ||
        typeof tenant.ipMode !== 'string'
      )
        throw bad('tenant');
      // A tenant's rejected addresses (`auto` only; absent in copies written before they were carried).
      if (
        v.rejected !== undefined &&
        (!Array.isArray(v.rejected) || !v.rejected.every((a: unknown) => typeof a === 'string'))
      )
        throw bad('rejected list');
      return {
        kind: 't',
        rules: { ...(v as object), tenant, entries: decodeEntries(v.entries, bad) } as unknown as TenantRules,
      };
    }
    case 'a': {
      const api = v.api as Fields<'id' | 'host' | 'pathPrefix' | 'upstreamUrl'> | undefined;
      if (
        typeof api !== 'object' ||
        api === null ||
        api.id !== ids.id ||
        (typeof api.host !== 'string' && api.host !== null) ||
        typeof api.pathPrefix !== 'string' ||
        typeof api.upstreamUrl !== 'string'
      )
        throw bad('api');
      return {
        kind: 'a',
        rules: { ...(v as object), api, entries: decodeEntries(v.entries, bad) } as unknown as ApiRules,
      };
    }
    case 'k': {
      const key = v.key as
        | Fields<'id' | 'tenantId' | 'secretHash' | 'ipRestrictionEnabled' | 'domainRestrictionEnabled'>
        | undefined;
      if (
        typeof key !== 'object' ||
        key === null ||
        key.id !== ids.id ||
        key.tenantId !== ids.tenantId ||
        typeof key.secretHash !== 'string' ||
        typeof key.ipRestrictionEnabled !== 'boolean' ||
        typeof key.domainRestrictionEnabled !== 'boolean'
      )
        throw bad('key');
      if (!Array.isArray(v.domains)) throw bad('domain list');
      for (const d of v.domains as RuleDomain[])
        if (typeof d !== 'object' || d === null || typeof d.id !== 'string' || typeof d.value !== 'string')
          throw bad('domain');
      return {
        kind: 'k',
        rules: {
          ...(v as object),
          key,
          ipEntries: decodeEntries(v.ipEntries, bad),
          domains: v.domains,
        } as unknown as KeyRules,
      };
    }
  }
}

/** An object whose named fields are not checked yet. */
type Fields<K extends string> = Partial<Record<K, unknown>>;

/**
 * A list of entries as a line holds it (JSON), checked as compiling relies on; throws what `bad` makes.
 *
 * @example decodeEntries(JSON.parse('[{"id":"ent_1","name":"","type":"ip","value":"10.0.0.1","expiresAt":null}]'), bad);
 */
export function decodeEntries(value: unknown, bad: (what: string) => LastGoodRefused): RuleEntry[] {
  if (!Array.isArray(value)) throw bad('entry list');
  return value.map((e: Fields<'id' | 'value' | 'type' | 'expiresAt'> | null) => {
    if (
      typeof e !== 'object' ||
      e === null ||
      typeof e.id !== 'string' ||
      typeof e.value !== 'string' ||
      (e.type !== 'ip' && e.type !== 'range')
    )
      throw bad('entry');
    // JSON has no dates: expiry comes back as ISO text.
    let expiresAt: Date | null = null;
    if (e.expiresAt !== null && e.expiresAt !== undefined) {
      if (typeof e.expiresAt !== 'string' || Number.isNaN(Date.parse(e.expiresAt))) throw bad('expiry');
      expiresAt = new Date(e.expiresAt);
    }
    return { ...e, expiresAt } as unknown as RuleEntry;
  });
}
