import { IpGateError } from '@ipgate/core';

/** Where the management commands send requests, and the admin token they send. */
export interface ServerTarget {
  /** The admin listener's base URL, without a trailing slash or `/v1`. */
  readonly url: string;
  readonly token: string;
}

/** The admin listener `ipgate serve` binds by default. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8081';

/**
 * The server from `--server`, else `IPGATE_SERVER`, else {@link DEFAULT_SERVER}; the token from
 * `IPGATE_TOKEN` only — never a flag, because a flag's value lands in the shell history and in every
 * process listing.
 *
 * The admin URL `ipgate serve` prints ends in `/v1`; it is accepted as it is printed.
 *
 * @example
 * serverTarget(undefined, { IPGATE_TOKEN: 'ipg_adm_…' }); // { url: 'http://127.0.0.1:8081', token: 'ipg_adm_…' }
 */
export function serverTarget(flag: string | undefined, env: NodeJS.ProcessEnv): ServerTarget {
  const fromFlag = flag !== undefined;
  const raw = flag ?? nonEmpty(env['IPGATE_SERVER']) ?? DEFAULT_SERVER;
  const where = fromFlag ? '--server' : env['IPGATE_SERVER'] !== undefined ? 'IPGATE_SERVER' : 'the default';
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    // "localhost:8081" would parse as a URL of scheme "localhost:".
    throw badServer(raw, where, 'is not a URL (it needs http:// or https://)', `Did you mean http://${raw}?`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badServer(raw, where, 'is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badServer(raw, where, `uses ${url.protocol.replace(/:$/, '')}, not http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    throw badServer(raw, where, 'carries a user name or password', 'The admin token goes in IPGATE_TOKEN.');
  }
  if (url.search !== '' || url.hash !== '') throw badServer(raw, where, 'has a query or fragment');
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  const token = (env['IPGATE_TOKEN'] ?? '').trim();
  if (token === '') {
    throw new IpGateError(
      'IPG_CONFIG_INVALID',
      'IPGATE_TOKEN is not set: the management commands need an admin token.',
      {
        field: 'IPGATE_TOKEN',
        hint: 'export IPGATE_TOKEN=ipg_adm_… (the owner token ipgate serve printed on its first start, one made with POST /v1/tokens, or a new owner token from ipgate admin-token create --owner). It is read from the environment only, never from a flag.',
      },
    );
  }
  if (/[\s\u0000-\u001f\u007f]/.test(token)) {
    throw new IpGateError('IPG_CONFIG_INVALID', 'IPGATE_TOKEN contains spaces or control characters.', {
      field: 'IPGATE_TOKEN',
      hint: 'Set it to the token alone, e.g. ipg_adm_…, without "Bearer " or quotes.',
    });
  }
  return { url: `${url.origin}${path}`, token };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function badServer(raw: string, where: string, what: string, hint?: string): IpGateError {
  return new IpGateError('IPG_CONFIG_INVALID', `The server ${JSON.stringify(raw)} (from ${where}) ${what}.`, {
    field: where === '--server' ? '--server' : 'IPGATE_SERVER',
    hint: hint ?? `Give the admin listener's URL, e.g. ${DEFAULT_SERVER} (ipgate serve --admin-listen).`,
  });
}
