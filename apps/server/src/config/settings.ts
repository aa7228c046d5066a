/**
 * Every setting of `ipgate serve`, declared once: its name in a config file, its flag, its environment
 * variable, its default, its description and how its text is checked. Flags, help text, environment
 * and config file are all derived from this table, so they cannot drift apart.
 */
import type { ForwardingHeader } from '@ipgate/core';
import { isIpGateError } from '@ipgate/core';
import type { RequestLogMode } from '../records/recorder.js';
import {
  defaultReviewSettings,
  parseReviewSettings,
  type ReviewSettings,
} from '../review/review-settings.js';
import {
  type HostPort,
  oneOf,
  parseBoolean,
  parseDuration,
  parseHostPort,
  parseInteger,
  parseList,
  parseLogLevel,
} from './setting-parsers.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The settings of a running server, validated. */
export interface ServeSettings {
  /** Where the proxy listener listens. */
  readonly listen: HostPort;
  /** Where the admin listener (management API, its docs at /docs, /metrics, the web console) listens. */
  readonly adminListen: HostPort;
  /** Holds the SQLite store and the snapshot cache. */
  readonly dataDir: string;
  /** PostgreSQL instead of the embedded SQLite store. */
  readonly databaseUrl: string | undefined;
  /** Whether PostgreSQL connections keep named (prepared) statements; off behind a pooler that cannot. */
  readonly databasePreparedStatements: boolean;
  /** Socket peers whose forwarding headers are believed; empty: none (the socket peer is the client). */
  readonly trustProxy: readonly string[];
  /** Which forwarding header trusted proxies set. */
  readonly forwardedHeader: ForwardingHeader;
  /** Instead of trusted addresses: the number of proxies in front (hop count); 0: not used. */
  readonly proxyHops: number;
  readonly upstreamTimeoutMs: number;
  /** How long the request log keeps a request. */
  readonly requestLogRetentionMs: number;
  /**
   * What the request log keeps: `all`, a record per request; `denials`, a record per denied or
   * would-deny request and allowed requests counted per minute (docs/architecture/storage.md#counted-requests).
   */
  readonly requestLog: RequestLogMode;
  /** How long an observed address that stopped calling is kept (rejected ones are kept). */
  readonly observedRetentionMs: number;
  /** How long finished notification deliveries, kept emails and expired action tokens are kept. */
  readonly notificationRetentionMs: number;
  /** How often a node looks for changes other nodes made (PostgreSQL); also the snapshot rebuild check. */
  readonly syncIntervalMs: number;
  /** Count hits per list entry (docs/architecture/storage.md#entry-usage). */
  readonly entryUsage: boolean;
  /** How often each process writes its counted entry hits to the store. */
  readonly usageFlushIntervalMs: number;
  /**
   * Gateway worker processes on the shared proxy port; 1: the gateway runs in the server process;
   * 0 (`auto`): one per core. With more than one, the server process keeps the admin listener.
   */
  readonly workers: number;
  readonly logLevel: LogLevel;
  /**
   * Where the node keeps its last good rules (served when it starts while the store cannot be
   * reached); undefined: `last-good-rules` in the data directory; null: not kept.
   */
  readonly lastGoodFile: string | null | undefined;
  /** How long applied changes are collected before the last good copy is rewritten. */
  readonly lastGoodWriteDelayMs: number;
  /** Request records, and observed addresses, held while the store cannot take them (each). */
  readonly recordBuffer: number;
  /** Set up a demo upstream, tenant, key and API on an empty store. */
  readonly demo: boolean;
  /** Where the demo upstream listens (loopback). */
  readonly demoUpstreamPort: number;
  /** SMTP server for owner emails; none: emails go to the outbox in the store. */
  readonly smtpUrl: string | undefined;
  /** The From of owner emails. */
  readonly smtpFrom: string;
  /** Refuse to send unless the SMTP server offers STARTTLS. */
  readonly smtpRequireTls: boolean;
  /** Accept any SMTP server certificate (test servers only). */
  readonly smtpTlsInsecure: boolean;
  /** Where one-click links point; undefined: the admin listener's URL. */
  readonly publicUrl: string | undefined;
  /** Webhook URLs may resolve to private, loopback and other special addresses. */
  readonly webhookAllowPrivate: boolean;
  /** How long one-click links work. */
  readonly reviewLinkTtlMs: number;
  /** Authorize and stop-reviewing links also ask for an editor's admin token. */
  readonly reviewRequireSignIn: boolean;
  /** Single emails per channel and hour before they are folded into a digest. */
  readonly notifyDigestThreshold: number;
  /** The wait after a failed delivery, doubled per further failure (up to an hour). */
  readonly notifyRetryBaseMs: number;
  /** How often the sender looks for due notifications. */
  readonly notifyIntervalMs: number;
  /** How long a sender holds the deliveries it took; one that died mid-send delays them this long. */
  readonly notifyLeaseMs: number;
  /** Weights and thresholds of the assessment of unknown addresses (docs/review.md#factors-and-defaults). */
  readonly review: ReviewSettings;
  /** A directory with newer copies of the network data files; undefined: the installed packages. */
  readonly reviewData: string | undefined;
}

/** One row of the settings table. */
export interface SettingSpec<K extends keyof ServeSettings = keyof ServeSettings> {
  readonly key: K;
  /** The commander flag, e.g. `--listen <host:port>`. */
  readonly flag: string;
  /** The environment variables read, first found wins. */
  readonly env: readonly string[];
  readonly description: string;
  readonly defaultValue: ServeSettings[K];
  /** How the default reads in `--help`. */
  readonly defaultText: string;
  /** Parses the setting from text (a flag or an environment variable); throws a message on bad text. */
  readonly fromText: (text: string) => ServeSettings[K];
  /** Parses the setting from a config-file value; throws a message on a bad value. */
  readonly fromJson: (value: unknown) => ServeSettings[K];
}

function spec<K extends keyof ServeSettings>(s: SettingSpec<K>): SettingSpec<K> {
  return s;
}

/** Texts pass through `fromText`; other JSON values must already have the right type. */
function jsonVia<T>(fromText: (text: string) => T, accept: (value: unknown) => T | undefined) {
  return (value: unknown): T => {
    if (typeof value === 'string') return fromText(value);
    const accepted = accept(value);
    if (accepted === undefined) throw new Error(`got ${JSON.stringify(value)}`);
    return accepted;
  };
}

const integerJson = (min: number, max: number) =>
  jsonVia(
    (t) => parseInteger(t, min, max),
    (v) => (typeof v === 'number' ? parseInteger(String(v), min, max) : undefined),
  );
const durationJson = (min: number, max: number) =>
  jsonVia(
    (t) => parseDuration(t, min, max),
    (v) => (typeof v === 'number' ? parseDuration(`${v}ms`, min, max) : undefined),
  );
const listJson = jsonVia(parseList, (v) =>
  Array.isArray(v) && v.every((e) => typeof e === 'string') ? (v as string[]) : undefined,
);
const booleanJson = jsonVia(parseBoolean, (v) => (typeof v === 'boolean' ? v : undefined));

/** `auto` is 0, which the server reads as one worker per core (it knows the core count, settings do not). */
function parseWorkers(text: string): number {
  if (text.trim().toLowerCase() === 'auto') return 0;
  if (!/^\d+$/.test(text.trim()))
    throw new Error(`${JSON.stringify(text)} is neither auto nor a whole number`);
  return parseInteger(text, 0, 256);
}

/** `off` (or `none`) turns the copy off; any other text is the file's path. */
function parseLastGoodFile(text: string): string | null {
  const t = text.trim();
  if (t === '') throw new Error('it is empty; give a file path, or off');
  return t.toLowerCase() === 'off' || t.toLowerCase() === 'none' ? null : t;
}

const DAY = 24 * 60 * 60 * 1000;

function parseSmtpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(
      'it must be a URL such as smtp://user:password@mail.example.com:587 or smtps://mail.example.com:465',
    );
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new Error(`it must start with smtp:// or smtps://, not ${url.protocol}//`);
  if (url.hostname === '') throw new Error('it names no host');
  return url.toString();
}

function parsePublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error('it must be a URL such as https://ipgate.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`it must start with https:// or http://, not ${url.protocol}//`);
  if (url.search !== '' || url.hash !== '') throw new Error('it must not carry a query or a fragment');
  return url.toString().replace(/\/+$/, '');
}

function parseSender(text: string): string {
  const t = text.trim();
  if (!/^[^\r\n]*@[^\r\n]+$/.test(t) || t.length > 300)
    throw new Error('it must be an address such as ipgate@example.com or "ipgate <ipgate@example.com>"');
  return t;
}

const textJson = <T>(parse: (t: string) => T) => jsonVia(parse, () => undefined);
const FORWARDED_HEADERS = ['x-forwarded-for', 'forwarded'] as const;
const REQUEST_LOG_MODES = ['all', 'denials'] as const satisfies readonly RequestLogMode[];

/**
 * The table. Order is the order of `ipgate serve --help`.
 *
 * @example
 * settingSpecs.find((s) => s.key === 'listen')?.env; // ['IPGATE_LISTEN']
 */
export const settingSpecs: readonly SettingSpec[] = [
  spec({
    key: 'listen',
    flag: '--listen <host:port>',
    env: ['IPGATE_LISTEN'],
    description: 'proxy listener address',
    defaultValue: { host: '127.0.0.1', port: 8080 },
    defaultText: '127.0.0.1:8080',
    fromText: parseHostPort,
    fromJson: jsonVia(parseHostPort, () => undefined),
  }),
  spec({
    key: 'adminListen',
    flag: '--admin-listen <host:port>',
    env: ['IPGATE_ADMIN_LISTEN'],
    description:
      'admin listener address: management API, its docs at /docs, /metrics, the web console at /console/ (keep it private)',
    defaultValue: { host: '127.0.0.1', port: 8081 },
    defaultText: '127.0.0.1:8081',
    fromText: parseHostPort,
    fromJson: jsonVia(parseHostPort, () => undefined),
  }),
  spec({
    key: 'dataDir',
    flag: '--data-dir <dir>',
    env: ['IPGATE_DATA_DIR'],
    description: 'directory of the SQLite store and the snapshot cache (created when missing)',
    defaultValue: 'ipgate-data',
    defaultText: './ipgate-data',
    fromText: (t) => {
      if (t.trim() === '') throw new Error('it is empty');
      return t;
    },
    fromJson: jsonVia(
      (t) => t,
      () => undefined,
    ),
  }),
  spec({
    key: 'databaseUrl',
    flag: '--database-url <url>',
    env: ['IPGATE_DATABASE_URL', 'DATABASE_URL'],
    description: 'postgres://… to use PostgreSQL (shared by several nodes) instead of SQLite',
    defaultValue: undefined,
    defaultText: 'none: embedded SQLite',
    fromText: (t) => {
      if (!/^postgres(ql)?:\/\//.test(t)) throw new Error('it must start with postgres:// or postgresql://');
      return t;
    },
    fromJson: jsonVia(
      (t) => {
        if (!/^postgres(ql)?:\/\//.test(t))
          throw new Error('it must start with postgres:// or postgresql://');
        return t;
      },
      () => undefined,
    ),
  }),
  spec({
    key: 'databasePreparedStatements',
    flag: '--database-prepared-statements <on|off>',
    env: ['IPGATE_DATABASE_PREPARED_STATEMENTS'],
    description:
      'PostgreSQL: prepare statements the store repeats on a connection (off behind a pooler in transaction mode without prepared-statement support)',
    defaultValue: true,
    defaultText: 'on',
    fromText: parseBoolean,
    fromJson: booleanJson,
  }),
  spec({
    key: 'trustProxy',
    flag: '--trust-proxy <cidrs>',
    env: ['IPGATE_TRUST_PROXY'],
    description: 'comma-separated addresses/CIDRs of proxies whose forwarding header is believed',
    defaultValue: [],
    defaultText: 'none (the socket peer is the client)',
    fromText: parseList,
    fromJson: listJson,
  }),
  spec({
    key: 'forwardedHeader',
    flag: '--forwarded-header <name>',
    env: ['IPGATE_FORWARDED_HEADER'],
    description: 'header trusted proxies set: x-forwarded-for or forwarded',
    defaultValue: 'x-forwarded-for',
    defaultText: 'x-forwarded-for',
    fromText: (t) => oneOf(t.toLowerCase(), FORWARDED_HEADERS),
    fromJson: jsonVia(
      (t) => oneOf(t.toLowerCase(), FORWARDED_HEADERS),
      () => undefined,
    ),
  }),
  spec({
    key: 'proxyHops',
    flag: '--proxy-hops <n>',
    env: ['IPGATE_PROXY_HOPS'],
    description: 'number of proxies in front, when their addresses are not known (instead of --trust-proxy)',
    defaultValue: 0,
    defaultText: '0 (not used)',
    fromText: (t) => parseInteger(t, 0, 64),
    fromJson: integerJson(0, 64),
  }),
  spec({
    key: 'upstreamTimeoutMs',
    flag: '--upstream-timeout <duration>',
    env: ['IPGATE_UPSTREAM_TIMEOUT'],
    description: 'how long to wait for an upstream to answer before 504 (e.g. 30s, 500ms)',
    defaultValue: 30_000,
    defaultText: '30s',
    fromText: (t) => parseDuration(t, 1, 3_600_000),
    fromJson: durationJson(1, 3_600_000),
  }),
  spec({
    key: 'requestLogRetentionMs',
    flag: '--request-log-retention <duration>',
    env: ['IPGATE_REQUEST_LOG_RETENTION'],
    description: 'how long the request log keeps requests (e.g. 30d, 12h)',
    defaultValue: 30 * DAY,
    defaultText: '30d',
    fromText: (t) => parseDuration(t, 60_000, 3650 * DAY),
    fromJson: durationJson(60_000, 3650 * DAY),
  }),
  spec({
    key: 'requestLog',
    flag: '--request-log <all|denials>',
    env: ['IPGATE_REQUEST_LOG'],
    description:
      'what the request log keeps: all, a record per request; denials, a record per denied or would-deny request, allowed requests counted per minute',
    defaultValue: 'all',
    defaultText: 'all',
    fromText: (t) => oneOf(t.trim().toLowerCase(), REQUEST_LOG_MODES),
    fromJson: jsonVia(
      (t) => oneOf(t.trim().toLowerCase(), REQUEST_LOG_MODES),
      () => undefined,
    ),
  }),
  spec({
    key: 'observedRetentionMs',
    flag: '--observed-retention <duration>',
    env: ['IPGATE_OBSERVED_RETENTION'],
    description: 'how long an observed address that stopped calling is kept; rejected ones stay (e.g. 90d)',
    defaultValue: 90 * DAY,
    defaultText: '90d',
    fromText: (t) => parseDuration(t, 60_000, 3650 * DAY),
    fromJson: durationJson(60_000, 3650 * DAY),
  }),
  spec({
    key: 'notificationRetentionMs',
    flag: '--notification-retention <duration>',
    env: ['IPGATE_NOTIFICATION_RETENTION'],
    description:
      'how long sent, failed and skipped notifications, outbox emails and expired review links are kept; queued ones stay (e.g. 30d)',
    defaultValue: 30 * DAY,
    defaultText: '30d',
    // At least a day: the once-a-day rule per address reads the notifications of the day.
    fromText: (t) => parseDuration(t, DAY, 3650 * DAY),
    fromJson: durationJson(DAY, 3650 * DAY),
  }),
  spec({
    key: 'syncIntervalMs',
    flag: '--sync-interval <duration>',
    env: ['IPGATE_SYNC_INTERVAL'],
    description: "how often to look for other nodes' changes (e.g. 250ms)",
    defaultValue: 250,
    defaultText: '250ms',
    fromText: (t) => parseDuration(t, 10, 60_000),
    fromJson: durationJson(10, 60_000),
  }),
  spec({
    key: 'entryUsage',
    flag: '--entry-usage <on|off>',
    env: ['IPGATE_ENTRY_USAGE'],
    description: 'count hits and last match time per list entry (off: nothing is counted)',
    defaultValue: true,
    defaultText: 'on',
    fromText: parseBoolean,
    fromJson: booleanJson,
  }),
  spec({
    key: 'usageFlushIntervalMs',
    flag: '--usage-flush-interval <duration>',
    env: ['IPGATE_USAGE_FLUSH_INTERVAL'],
    description: 'how often each process adds its counted entry hits to the store (e.g. 10s)',
    defaultValue: 10_000,
    defaultText: '10s',
    fromText: (t) => parseDuration(t, 100, 3_600_000),
    fromJson: durationJson(100, 3_600_000),
  }),
  spec({
    key: 'workers',
    flag: '--workers <n|auto>',
    env: ['IPGATE_WORKERS'],
    description: 'gateway worker processes sharing the proxy port; auto (or 0): one per core',
    defaultValue: 1,
    defaultText: '1 (the gateway runs in the server process)',
    fromText: parseWorkers,
    fromJson: jsonVia(parseWorkers, (v) => (typeof v === 'number' ? parseWorkers(String(v)) : undefined)),
  }),
  spec({
    key: 'logLevel',
    flag: '--log-level <level>',
    env: ['IPGATE_LOG_LEVEL'],
    description: 'fatal, error, warn, info, debug, trace or silent',
    defaultValue: 'info',
    defaultText: 'info',
    fromText: parseLogLevel,
    fromJson: jsonVia(parseLogLevel, () => undefined),
  }),
  spec({
    key: 'review',
    flag: '--review <name=value,…>',
    env: ['IPGATE_REVIEW'],
    description:
      'weights and thresholds of the auto mode (e.g. sameNetwork=60,burstLimit=5,learnFirstAddress=true); see docs/review.md',
    defaultValue: defaultReviewSettings,
    defaultText: Object.entries(defaultReviewSettings)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    fromText: reviewFrom,
    fromJson: (value) =>
      typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value))
        ? reviewFrom(value as string | Record<string, unknown>)
        : (() => {
            throw new Error('it must be name=value text or an object of review settings');
          })(),
  }),
  spec({
    key: 'reviewData',
    flag: '--review-data <dir>',
    env: ['IPGATE_REVIEW_DATA'],
    description:
      'a directory with newer asn-ipv4-num.csv, asn-ipv6.csv (@ip-location-db/asn) and iptoasn-country.mmdb',
    defaultValue: undefined,
    defaultText: 'the installed @ip-location-db packages',
    fromText: (t) => {
      if (t.trim() === '') throw new Error('it must name a directory');
      return t;
    },
    fromJson: jsonVia(
      (t) => {
        if (t.trim() === '') throw new Error('it must name a directory');
        return t;
      },
      () => undefined,
    ),
  }),
  spec({
    key: 'lastGoodFile',
    flag: '--last-good-file <path|off>',
    env: ['IPGATE_LAST_GOOD_FILE'],
    description:
      'file of the last good rules, served when the node starts while the store cannot be reached; off: none (such a start refuses every request)',
    defaultValue: undefined,
    defaultText: '<data-dir>/last-good-rules',
    fromText: parseLastGoodFile,
    fromJson: jsonVia(parseLastGoodFile, (v) => (v === null || v === false ? null : undefined)),
  }),
  spec({
    key: 'lastGoodWriteDelayMs',
    flag: '--last-good-write-delay <duration>',
    env: ['IPGATE_LAST_GOOD_WRITE_DELAY'],
    description:
      'how long rule changes are collected before they are written to the last good rules journal (e.g. 2s)',
    defaultValue: 2000,
    defaultText: '2s',
    fromText: (t) => parseDuration(t, 0, 600_000),
    fromJson: durationJson(0, 600_000),
  }),
  spec({
    key: 'recordBuffer',
    flag: '--record-buffer <n>',
    env: ['IPGATE_RECORD_BUFFER'],
    description:
      'request records (and, apart, observed addresses) held while the store cannot take them; beyond, the oldest are dropped and counted',
    defaultValue: 50_000,
    defaultText: '50000',
    fromText: (t) => parseInteger(t, 100, 10_000_000),
    fromJson: integerJson(100, 10_000_000),
  }),
  spec({
    key: 'demo',
    flag: '--demo',
    env: ['IPGATE_DEMO'],
    description: 'on an empty store, set up a demo upstream, tenant, key and API (npm start does)',
    defaultValue: false,
    defaultText: 'off',
    fromText: parseBoolean,
    fromJson: booleanJson,
  }),
  spec({
    key: 'demoUpstreamPort',
    flag: '--demo-upstream-port <port>',
    env: ['IPGATE_DEMO_UPSTREAM_PORT'],
    description: 'port of the demo upstream on 127.0.0.1',
    defaultValue: 8082,
    defaultText: '8082',
    fromText: (t) => parseInteger(t, 0, 65535),
    fromJson: integerJson(0, 65535),
  }),
  spec({
    key: 'smtpUrl',
    flag: '--smtp-url <url>',
    env: ['IPGATE_SMTP_URL'],
    description: 'SMTP server for owner emails: smtp://user:pass@host:587 (STARTTLS) or smtps://host:465',
    defaultValue: undefined,
    defaultText: 'none: emails go to the outbox (GET /v1/tenants/{id}/outbox)',
    fromText: parseSmtpUrl,
    fromJson: textJson(parseSmtpUrl),
  }),
  spec({
    key: 'smtpFrom',
    flag: '--smtp-from <address>',
    env: ['IPGATE_SMTP_FROM'],
    description: 'sender of owner emails',
    defaultValue: 'ipgate <ipgate@localhost>',
    defaultText: 'ipgate <ipgate@localhost>',
    fromText: parseSender,
    fromJson: textJson(parseSender),
  }),
  spec({
    key: 'smtpRequireTls',
    flag: '--smtp-require-tls',
    env: ['IPGATE_SMTP_REQUIRE_TLS'],
    description: 'refuse to send email unless the SMTP server offers STARTTLS',
    defaultValue: false,
    defaultText: 'off',
    fromText: parseBoolean,
    fromJson: booleanJson,
  }),
  spec({
    key: 'smtpTlsInsecure',
    flag: '--smtp-tls-insecure',
    env: ['IPGATE_SMTP_TLS_INSECURE'],
    description: "accept the SMTP server's certificate unchecked (test servers only)",
    defaultValue: false,
    defaultText: 'off',
    fromText: parseBoolean,
    fromJson: booleanJson,
  }),
  spec({
    key: 'publicUrl',
    flag: '--public-url <url>',
    env: ['IPGATE_PUBLIC_URL'],
    description:
      'where the one-click links in emails and webhooks point (the admin listener, as users reach it)',
    defaultValue: undefined,
    defaultText: "the admin listener's URL",
    fromText: parsePublicUrl,
    fromJson: textJson(parsePublicUrl),
  }),
  spec({
    key: 'webhookAllowPrivate',
    flag: '--webhook-allow-private',
    env: ['IPGATE_WEBHOOK_ALLOW_PRIVATE'],
    description: 'let webhooks go to private, loopback and other special-purpose addresses (SSRF guard off)',
    defaultValue: false,
    defaultText: 'off',
    fromText: parseBoolean,
    fromJson: booleanJson,
  }),
  spec({
    key: 'reviewLinkTtlMs',
    flag: '--review-link-ttl <duration>',
    env: ['IPGATE_REVIEW_LINK_TTL'],
    description: 'how long one-click review links work (e.g. 72h)',
    defaultValue: 72 * 60 * 60 * 1000,
    defaultText: '72h',
    fromText: (t) => parseDuration(t, 60_000, 30 * DAY),
    fromJson: durationJson(60_000, 30 * DAY),
  }),
  spec({
    key: 'reviewRequireSignIn',
    flag: '--review-require-sign-in',
    env: ['IPGATE_REVIEW_REQUIRE_SIGN_IN'],
    description: "authorize and stop-reviewing links also ask for an editor's admin token",
    defaultValue: false,
    defaultText: 'off',
    fromText: parseBoolean,
    fromJson: booleanJson,
  }),
  spec({
    key: 'notifyDigestThreshold',
    flag: '--notify-digest-threshold <n>',
    env: ['IPGATE_NOTIFY_DIGEST_THRESHOLD'],
    description: 'single emails per channel and hour; more are folded into a digest',
    defaultValue: 10,
    defaultText: '10',
    fromText: (t) => parseInteger(t, 1, 10_000),
    fromJson: integerJson(1, 10_000),
  }),
  spec({
    key: 'notifyRetryBaseMs',
    flag: '--notify-retry-base <duration>',
    env: ['IPGATE_NOTIFY_RETRY_BASE'],
    description: 'wait after a failed notification, doubled per further failure up to 1h, 10 tries',
    defaultValue: 30_000,
    defaultText: '30s',
    fromText: (t) => parseDuration(t, 10, 3_600_000),
    fromJson: durationJson(10, 3_600_000),
  }),
  spec({
    key: 'notifyIntervalMs',
    flag: '--notify-interval <duration>',
    env: ['IPGATE_NOTIFY_INTERVAL'],
    description: 'how often the sender looks for due notifications',
    defaultValue: 1000,
    defaultText: '1s',
    fromText: (t) => parseDuration(t, 10, 60_000),
    fromJson: durationJson(10, 60_000),
  }),
  spec({
    key: 'notifyLeaseMs',
    flag: '--notify-lease <duration>',
    env: ['IPGATE_NOTIFY_LEASE'],
    description:
      'how long a sender holds the notifications it took; after a crash they are sent again once it lapses (must exceed a send)',
    defaultValue: 60_000,
    defaultText: '60s',
    fromText: (t) => parseDuration(t, 1000, 3_600_000),
    fromJson: durationJson(1000, 3_600_000),
  }),
];

/** Review settings with the message of a bad one as the setting parsers give it. */
function reviewFrom(value: string | Readonly<Record<string, unknown>>): ReviewSettings {
  try {
    return parseReviewSettings(value);
  } catch (e) {
    throw new Error(isIpGateError(e) ? `${e.message} ${e.hint ?? ''}`.trim() : String(e));
  }
}
