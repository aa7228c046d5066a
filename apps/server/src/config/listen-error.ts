import { IpGateError } from '@ipgate/core';
import { formatHostPort, type HostPort } from './setting-parsers.js';

/**
 * Turns a listener's start error into a setting error that says what to do, instead of a stack
 * trace: a taken port, a privileged port, an address that is not this machine's.
 *
 * @example
 * try { await admin.listen(…) } catch (e) { throw explainListenError(e, 'adminListen', '--admin-listen', settings.adminListen); }
 */
export function explainListenError(error: unknown, setting: string, flag: string, at: HostPort): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const where = formatHostPort(at);
  const other = formatHostPort({ host: at.host, port: at.port + 10 });
  const explain = (message: string, hint: string): IpGateError =>
    new IpGateError('IPG_CONFIG_INVALID', `${setting}: ${message}`, { field: setting, hint, cause: error });
  switch (code) {
    case 'EADDRINUSE':
      return explain(
        `${where} is already in use (EADDRINUSE): another program, or another ipgate, listens there.`,
        `Stop it, or choose another address with ${flag} (e.g. ${flag} ${other}).`,
      );
    case 'EACCES':
      return explain(
        `listening on ${where} is not permitted (EACCES).`,
        `Ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port above 1023 with ${flag}.`,
      );
    case 'EADDRNOTAVAIL':
      return explain(
        `${at.host} is not an address of this machine (EADDRNOTAVAIL).`,
        `Use one of its addresses, 127.0.0.1 or 0.0.0.0 (all interfaces), with ${flag}.`,
      );
    default:
      return error;
  }
}
