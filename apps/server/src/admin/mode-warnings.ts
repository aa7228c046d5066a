/**
 * What a tenant's mode means today, said in the answer that sets it. `auto` is accepted so that
 * configurations written for it keep working, but nothing assesses addresses yet: it denies and records
 * unlisted addresses exactly as `manual` does (docs/architecture/pipeline.md#5-tenant-ip-restriction).
 * When assessment lands, this returns nothing for `auto` and can go.
 */
import type { RestrictionMode } from '@ipgate/core';
import type { WarningType } from './schemas/common.js';

/**
 * The warnings for a tenant that is (now) in `mode`.
 *
 * @example
 * modeWarnings('auto'); // [{ code: 'IPG_WARN_AUTO_AS_MANUAL', message: 'Mode auto does not assess … yet …' }]
 * modeWarnings('manual'); // []
 */
export function modeWarnings(mode: RestrictionMode): WarningType[] {
  if (mode !== 'auto') return [];
  return [
    {
      code: 'IPG_WARN_AUTO_AS_MANUAL',
      message:
        'Mode auto does not assess addresses yet: it behaves exactly as manual (unlisted addresses are denied and recorded as pending for review).',
    },
  ];
}
