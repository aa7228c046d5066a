/**
 * `dryRun: true` on a list write: instead of writing, answer the impact the change would have had on
 * the last 24 hours of recorded traffic — the same figures as the simulate routes
 * (docs/architecture/pipeline.md#simulating-a-change). Nothing is written, audited or versioned, so
 * neither the lockout guard, `If-Match` nor limits are checked.
 */
import { IpGateError } from '@ipgate/core';
import type { FastifyReply } from 'fastify';
import type { ListDraft } from '../../simulation/draft.js';
import type { SimulationTarget } from '../../simulation/simulate.js';
import type { Simulator } from '../../simulation/simulator.js';
import { type DryRunDto, toSimulationDto } from '../schemas/simulation.js';

/**
 * Answers a dry run with 200 and the impact.
 *
 * @example
 * if (request.body.dryRun === true) return answerDryRun(reply, deps.simulator, target, { add: [input] });
 */
export async function answerDryRun(
  reply: FastifyReply,
  simulator: Simulator | undefined,
  target: SimulationTarget,
  draft: ListDraft,
): Promise<DryRunDto> {
  if (simulator === undefined) {
    throw new IpGateError('IPG_STORE_UNAVAILABLE', 'This server has no rules loaded to simulate with.', {
      field: 'dryRun',
    });
  }
  const impact = toSimulationDto(await simulator.run(target, draft));
  reply.status(200);
  return { dryRun: true, impact };
}
