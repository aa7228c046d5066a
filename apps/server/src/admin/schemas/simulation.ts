/**
 * The wire shape of impact simulations (docs/architecture/pipeline.md#simulating-a-change) and of
 * the `dryRun` answers of list writes, which carry the same impact.
 */
import { IpGateError } from '@ipgate/core';
import { type Static, Type } from 'typebox';
import type { ListDraft } from '../../simulation/draft.js';
import type { SimulationResult } from '../../simulation/simulate.js';
import type { SimulationOptions } from '../../simulation/simulator.js';
import { IP_MODES } from '../../store/vocabulary.js';
import { DateTime, Label, NullableDateTime } from './common.js';

const Value = Type.String({
  minLength: 1,
  maxLength: 300,
  description: 'An IP entry (address, CIDR, netmask, range) or, for a key domain list, a domain rule.',
});

const DraftEntry = Type.Object(
  {
    value: Value,
    name: Type.Optional(Label),
    enabled: Type.Optional(Type.Boolean({ description: 'Tenant and API lists only; default true.' })),
    expiresAt: Type.Optional(NullableDateTime),
  },
  { additionalProperties: false },
);

const DraftEdit = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100, description: 'An entry of the list as it is.' }),
    value: Type.Optional(Value),
    name: Type.Optional(Label),
    enabled: Type.Optional(Type.Boolean()),
    expiresAt: Type.Optional(NullableDateTime),
  },
  { additionalProperties: false },
);

/** A draft: `replace` alone, or any of `add`, `remove`, `edit`. */
export const Draft = Type.Object(
  {
    replace: Type.Optional(
      Type.Array(DraftEntry, { maxItems: 10_000, description: 'The whole list as the draft has it.' }),
    ),
    add: Type.Optional(Type.Array(DraftEntry, { maxItems: 10_000 })),
    remove: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 10_000,
        description: 'Ids of entries to remove.',
      }),
    ),
    edit: Type.Optional(Type.Array(DraftEdit, { maxItems: 10_000 })),
  },
  {
    additionalProperties: false,
    examples: [{ add: [{ value: '198.51.100.0/24', name: 'new office' }], remove: ['ent_01abc'] }],
  },
);

/** POST …/simulate. @example { "draft": { "add": [{ "value": "198.51.100.0/24" }] }, "since": "2026-12-01T00:00:00Z" } */
export const SimulateBody = Type.Object(
  {
    draft: Draft,
    mode: Type.Optional(
      Type.Enum(IP_MODES, {
        description: "Tenant lists only: the tenant's mode under the draft.",
      }),
    ),
    restrictionEnabled: Type.Optional(
      Type.Boolean({ description: "Key lists only: the key's switch for this list under the draft." }),
    ),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Default: 24 hours before until.' }),
    ),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now.' })),
    top: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Addresses listed per flip; default 10.' }),
    ),
    maxRequests: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 5_000_000,
        description: 'Most recorded requests read, oldest first; default 1,000,000. More: truncated is true.',
      }),
    ),
  },
  // Examples per kind of list: the simulate routes give their own.
  { additionalProperties: false },
);

export type SimulateBodyDto = Static<typeof SimulateBody>;

const Flip = Type.Object({
  requests: Type.Integer({ description: 'Recorded requests whose decision would flip.' }),
  requestsWithoutKey: Type.Integer({
    description:
      'Of those, requests the API allowlist denied before authentication: their key is unknown, so only the allowlist was decided again.',
  }),
  addresses: Type.Integer({ description: 'Distinct client addresses.' }),
  keys: Type.Integer({ description: 'Distinct keys.' }),
  topAddresses: Type.Array(Type.Object({ address: Type.String(), requests: Type.Integer() }), {
    description: 'The addresses with the most flipped requests, most first.',
  }),
  exact: Type.Boolean({
    description:
      'False when over 100,000 distinct addresses (or keys) flipped: the distinct counts are then estimates within a few percent, and top counts may be low.',
  }),
});

/** What a draft would have done to a window of recorded traffic. */
export const Simulation = Type.Object(
  {
    window: Type.Object({ since: DateTime, until: DateTime }),
    requests: Type.Object({
      examined: Type.Integer({ description: 'Recorded requests read.' }),
      decided: Type.Integer({ description: 'Decided again, with the rules in force and with the draft.' }),
      undecidable: Type.Integer({
        description: 'Not decidable again: no client address, or the key, tenant or API is gone.',
      }),
      allowedNow: Type.Integer({
        description: 'Allowed by the rules in force (report-only settings aside: what enforcing would do).',
      }),
      allowedWithDraft: Type.Integer({ description: 'Allowed with the draft.' }),
    }),
    allowedToDenied: Flip,
    deniedToAllowed: Flip,
    unmatchedEntries: Type.Array(
      Type.Object({
        id: Type.Union([Type.String(), Type.Null()], { description: 'Null for an entry the draft adds.' }),
        value: Type.String(),
        name: Type.String(),
      }),
      { description: 'Enabled, unexpired entries of the draft that no request of the window would match.' },
    ),
    truncated: Type.Boolean({
      description: 'The window held more than maxRequests records; the figures cover the oldest ones.',
    }),
  },
  {
    examples: [
      {
        window: { since: '2026-12-01T00:00:00.000Z', until: '2026-12-02T00:00:00.000Z' },
        requests: { examined: 1200, decided: 1200, undecidable: 0, allowedNow: 1100, allowedWithDraft: 1040 },
        allowedToDenied: {
          requests: 60,
          requestsWithoutKey: 0,
          addresses: 2,
          keys: 1,
          topAddresses: [
            { address: '203.0.113.7', requests: 50 },
            { address: '203.0.113.8', requests: 10 },
          ],
          exact: true,
        },
        deniedToAllowed: {
          requests: 0,
          requestsWithoutKey: 0,
          addresses: 0,
          keys: 0,
          topAddresses: [],
          exact: true,
        },
        unmatchedEntries: [{ id: null, value: '198.51.100.0/24', name: 'new office' }],
        truncated: false,
      },
    ],
  },
);

export type SimulationDto = Static<typeof Simulation>;

/** What a list write with `dryRun: true` answers instead of writing: the impact of the change. */
export const DryRun = Type.Object(
  { dryRun: Type.Literal(true), impact: Simulation },
  {
    description: 'Nothing was written: the impact the change would have had on the last 24 hours of traffic.',
  },
);

export type DryRunDto = Static<typeof DryRun>;

/** The `dryRun` switch of list writes, for bodies. */
export const DryRunFlag = Type.Optional(
  Type.Boolean({
    description:
      'true: write nothing; answer 200 with the impact the change would have had on the last 24 hours of recorded traffic (see the simulate routes for other windows).',
  }),
);

/** The query of a DELETE of a list entry: the lockout switch and `dryRun`. @example ?dryRun=true */
export const WriteQuery = Type.Object(
  {
    confirmLockout: Type.Optional(
      Type.Boolean({
        description: "Set to true to make a change that denies the caller's own current address.",
      }),
    ),
    dryRun: DryRunFlag,
  },
  { additionalProperties: false },
);

/** The query of a DELETE of a key list entry. @example ?dryRun=true */
export const DryRunQuery = Type.Object({ dryRun: DryRunFlag }, { additionalProperties: false });

/**
 * The body's draft as the simulator takes it (dates parsed), or a 400 naming `draft.replace` when
 * it is mixed with changes.
 *
 * @example
 * toListDraft({ add: [{ value: '198.51.100.7' }] });
 */
export function toListDraft(draft: Static<typeof Draft>): ListDraft {
  const entry = <T extends { expiresAt?: string | null }>(e: T) => ({
    ...e,
    expiresAt: e.expiresAt === undefined || e.expiresAt === null ? e.expiresAt : new Date(e.expiresAt),
  });
  if (draft.replace !== undefined) {
    if (draft.add !== undefined || draft.remove !== undefined || draft.edit !== undefined) {
      throw new IpGateError('IPG_VALIDATION_FAILED', 'A draft replaces the list or changes it, not both.', {
        field: 'draft.replace',
        hint: 'Send replace alone, or add, remove and edit without replace.',
      });
    }
    return { replace: draft.replace.map(entry) };
  }
  return {
    add: (draft.add ?? []).map(entry),
    remove: draft.remove ?? [],
    edit: (draft.edit ?? []).map(entry),
  };
}

/**
 * The simulation options of a body.
 *
 * @example
 * toSimulationOptions({ draft, since: '2026-12-01T00:00:00Z' }).since; // Date
 */
export function toSimulationOptions(body: SimulateBodyDto): SimulationOptions {
  return {
    ...(body.mode === undefined ? {} : { mode: body.mode }),
    ...(body.restrictionEnabled === undefined ? {} : { restrictionEnabled: body.restrictionEnabled }),
    ...(body.since === undefined ? {} : { since: new Date(body.since) }),
    ...(body.until === undefined ? {} : { until: new Date(body.until) }),
    ...(body.top === undefined ? {} : { top: body.top }),
    ...(body.maxRequests === undefined ? {} : { maxRequests: body.maxRequests }),
  };
}

/**
 * The DTO of a simulation result.
 *
 * @example
 * toSimulationDto(result).window.since; // '2026-12-01T00:00:00.000Z'
 */
export function toSimulationDto(r: SimulationResult): SimulationDto {
  return {
    window: { since: r.window.since.toISOString(), until: r.window.until.toISOString() },
    requests: { ...r.requests },
    allowedToDenied: { ...r.allowedToDenied, topAddresses: [...r.allowedToDenied.topAddresses] },
    deniedToAllowed: { ...r.deniedToAllowed, topAddresses: [...r.deniedToAllowed.topAddresses] },
    unmatchedEntries: r.unmatchedEntries.map((e) => ({ ...e })),
    truncated: r.truncated,
  };
}
