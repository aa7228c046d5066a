import { isIpGateError } from '@ipgate/core';
import { describe, expect, it } from 'vitest';
import { serverTarget } from './server-target.js';

const token = { IPGATE_TOKEN: 'ipg_adm_abc' };

function error(run: () => unknown) {
  try {
    run();
  } catch (e) {
    if (isIpGateError(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('serverTarget', () => {
  it.each([
    [undefined, {}, 'http://127.0.0.1:8081'],
    [undefined, { IPGATE_SERVER: 'https://ipgate.internal:9443/' }, 'https://ipgate.internal:9443'],
    ['http://127.0.0.1:8081/v1', {}, 'http://127.0.0.1:8081'],
    ['http://127.0.0.1:8081/v1/', { IPGATE_SERVER: 'http://elsewhere' }, 'http://127.0.0.1:8081'],
    ['http://proxy.internal/ipgate/', {}, 'http://proxy.internal/ipgate'],
    ['http://[::1]:8081', {}, 'http://[::1]:8081'],
  ])('--server %s with %j is %s', (flag, env, url) => {
    expect(serverTarget(flag, { ...token, ...env })).toEqual({ url, token: 'ipg_adm_abc' });
  });

  it('takes the token from IPGATE_TOKEN, trimmed', () => {
    expect(serverTarget(undefined, { IPGATE_TOKEN: ' ipg_adm_x\n' }).token).toBe('ipg_adm_x');
  });

  it.each([
    [{}, 'IPGATE_TOKEN is not set'],
    [{ IPGATE_TOKEN: '  ' }, 'IPGATE_TOKEN is not set'],
    [{ IPGATE_TOKEN: 'Bearer ipg_adm_x' }, 'IPGATE_TOKEN contains spaces or control characters.'],
    [{ IPGATE_TOKEN: 'ipg_adm_x\r\nX-Evil: 1' }, 'IPGATE_TOKEN contains spaces or control characters.'],
  ])('refuses the token in %j', (env, message) => {
    const e = error(() => serverTarget(undefined, env));
    expect(e.code).toBe('IPG_CONFIG_INVALID');
    expect(e.message).toContain(message);
    expect(e.field).toBe('IPGATE_TOKEN');
  });

  it.each([
    ['localhost:8081', 'is not a URL'],
    ['file:///etc/passwd', 'uses file, not http or https'],
    ['http://u:p@127.0.0.1', 'carries a user name or password'],
    ['http://127.0.0.1:8081/?x=1', 'has a query or fragment'],
  ])('refuses --server %s', (flag, message) => {
    const e = error(() => serverTarget(flag, token));
    expect(e.message).toContain(message);
    expect(e.field).toBe('--server');
  });

  it('names IPGATE_SERVER when the bad URL came from there', () => {
    expect(error(() => serverTarget(undefined, { ...token, IPGATE_SERVER: 'nope' })).field).toBe(
      'IPGATE_SERVER',
    );
  });
});
