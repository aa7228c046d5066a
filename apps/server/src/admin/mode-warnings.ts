/**
 * What a tenant's mode means, said in the answer that sets it. Until automatic assessment existed,
 * `auto` answered `IPG_WARN_AUTO_AS_MANUAL` (it behaved as `manual`); now that it assesses
 * (docs/architecture/review.md), no mode needs a warning, and the seam stays for one that will.
 */
import type { RestrictionMode } from '@ipgate/core';
import type { WarningType } from './schemas/common.js';

/**
 * The warnings for a tenant that is (now) in `mode`: none today.
 *
 * @example
 * modeWarnings('auto'); // []
 */
export function modeWarnings(_mode: RestrictionMode): WarningType[] {
  return [];
}
