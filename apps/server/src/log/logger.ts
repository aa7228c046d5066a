/**
 * The little the server's modules (store, snapshot, gateway, records, …) need of a logger. A pino logger
 * fits as it is; tests pass a recording fake. Structured first argument, message second, as pino wants.
 *
 * @example
 * import pino from 'pino';
 * const logger: Logger = pino();
 * logger.warn({ version: 7 }, 'store unavailable; serving the last good snapshot');
 */
export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * A logger that drops everything: the default where none is given.
 *
 * @example
 * const logger = options.logger ?? silentLogger;
 */
export const silentLogger: Logger = Object.freeze({
  info() {},
  warn() {},
  error() {},
});
