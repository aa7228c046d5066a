/**
 * The log line of a request denied, or passed in report-only mode that would have been denied: the
 * same fields from the gateway and from the proxies' decision endpoint, so one search finds both.
 */
import type { Logger } from '../log/logger.js';
import type { PipelineOutcome } from './pipeline.js';

/**
 * Logs `outcome` at info when it denies or would deny; `proxy` names the proxy that asked the
 * decision endpoint.
 *
 * @example logDenial(logger, outcome, call.requestId);
 */
export function logDenial(
  logger: Logger,
  outcome: PipelineOutcome,
  requestId: string,
  proxy?: string | undefined,
): void {
  if (outcome.allow && !outcome.wouldDeny) return;
  logger.info(
    {
      requestId,
      ...(proxy === undefined ? {} : { proxy }),
      stage: outcome.stage,
      reason: outcome.reason,
      detail: outcome.detail,
      client: outcome.client?.toString(),
      apiId: outcome.api?.id,
      keyId: outcome.key?.id,
    },
    outcome.allow ? 'request would be denied; passed (report-only)' : 'request denied',
  );
}
