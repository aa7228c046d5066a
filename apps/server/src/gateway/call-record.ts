/**
 * The record of one request, from what the pipeline decided: the same row whether the gateway
 * answered it or the decision endpoint judged it for a proxy, so the request log and the observed
 * addresses cannot tell the two apart.
 */
import { recordedMatches } from '../records/recorded-matches.js';
import { recordedOrigin } from '../records/recorded-origin.js';
import type { RecordedCall } from '../records/recorder.js';
import type { RequestRecord } from '../store/store.js';
import { observationReason, type PipelineOutcome } from './pipeline.js';

/** What the caller knows of a request beside the pipeline's outcome. */
export interface CallFacts {
  readonly requestId: string;
  readonly at: Date;
  readonly method: string;
  /** What the caller was answered (the gateway: 499 when it went away first). */
  readonly status: number;
  readonly latencyMs: number;
  /** The gateway's may differ from the outcome's: an upstream that failed, rules not loaded yet. */
  readonly decision: RequestRecord['decision'];
  readonly stage: string | null;
  readonly reason: string | null;
}

/**
 * The request record (and the observed address, when the outcome has one) of a request.
 * `outcome` is undefined when no pipeline ran (the gateway's rules were not loaded yet).
 *
 * @example
 * recorder.record(callRecord(outcome, { requestId, at, method: 'GET', status: 200, latencyMs: 1.2,
 *   ...outcomeDecision(outcome) }));
 */
export function callRecord(outcome: PipelineOutcome | undefined, facts: CallFacts): RecordedCall {
  const client = outcome?.client?.toString() ?? null;
  const key = outcome?.key;
  return {
    request: {
      requestId: facts.requestId,
      at: facts.at,
      tenantId: key?.tenantId ?? null,
      apiId: outcome?.api?.id ?? null,
      keyId: key?.id ?? null,
      client,
      method: facts.method,
      // The path only: queries may carry secrets and personal data.
      path: outcome?.path?.raw ?? '',
      status: facts.status,
      decision: facts.decision,
      stage: facts.stage,
      reason: facts.reason,
      latencyMs: Math.round(facts.latencyMs * 1000) / 1000,
      origin: recordedOrigin(outcome?.origin),
      matched: recordedMatches(outcome),
    },
    observation:
      outcome?.observation === undefined || key === undefined || client === null
        ? undefined
        : {
            tenantId: key.tenantId,
            keyId: key.id,
            address: client,
            status: outcome.observation,
            reason: observationReason(outcome),
            assessment: outcome.assessment,
          },
  };
}

/**
 * The decision, stage and reason an outcome records as it is (report-only denials as `would-deny`).
 *
 * @example outcomeDecision(outcome); // { decision: 'deny', stage: 'tenant-restriction', reason: 'tenant-ip-not-listed' }
 */
export function outcomeDecision(outcome: PipelineOutcome): Pick<CallFacts, 'decision' | 'stage' | 'reason'> {
  return {
    decision: outcome.wouldDeny ? 'would-deny' : outcome.allow ? 'allow' : 'deny',
    stage: outcome.stage,
    reason: outcome.reason,
  };
}
