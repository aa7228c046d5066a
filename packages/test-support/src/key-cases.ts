import type { GateOptions } from '@ipgate/node';
import type { Source } from './decision-cases.js';

/**
 * The gate options every adapter's per-key test uses: the whole loopback network may call, and the
 * `x-api-key` header names the key. `backend` may be used by servers from 127.0.0.2 only, `webapp`
 * by browsers on https://app.example.com only; other keys are not restricted.
 */
export const keyGateOptions = {
  allow: ['127.0.0.0/8', '::1'],
  keys: {
    keyOf: (r) => r.headers['x-api-key'] as string | undefined,
    rules: {
      backend: { ips: ['127.0.0.2'] },
      webapp: { domains: ['https://app.example.com'] },
    },
  },
} as const satisfies GateOptions;

/** One request of the per-key table, and the status every adapter must answer it with. */
export interface KeyCase {
  readonly name: string;
  readonly source: Source;
  readonly headers: Readonly<Record<string, string>>;
  readonly status: 200 | 403;
}

const APP = 'https://app.example.com';

/** The per-key table: the key header reaches `keyOf` through the framework, Origin and Referer too. */
export const keyCases: readonly KeyCase[] = [
  {
    name: 'server key from its address',
    source: '127.0.0.2',
    headers: { 'x-api-key': 'backend' },
    status: 200,
  },
  {
    name: 'server key from another address',
    source: '127.0.0.3',
    headers: { 'x-api-key': 'backend' },
    status: 403,
  },
  {
    name: 'server key from a browser',
    source: '127.0.0.2',
    headers: { 'x-api-key': 'backend', origin: APP },
    status: 403,
  },
  {
    name: 'browser key from its origin',
    source: '127.0.0.3',
    headers: { 'x-api-key': 'webapp', origin: APP },
    status: 200,
  },
  {
    name: 'browser key with its origin in Referer',
    source: '127.0.0.3',
    headers: { 'x-api-key': 'webapp', referer: `${APP}/page?x=1` },
    status: 200,
  },
  {
    name: 'browser key from another origin',
    source: '127.0.0.3',
    headers: { 'x-api-key': 'webapp', origin: 'https://evil.example' },
    status: 403,
  },
  { name: 'browser key from a server', source: '127.0.0.2', headers: { 'x-api-key': 'webapp' }, status: 403 },
  { name: 'an unknown key', source: '127.0.0.3', headers: { 'x-api-key': 'other' }, status: 200 },
  { name: 'no key', source: '127.0.0.3', headers: {}, status: 200 },
];
