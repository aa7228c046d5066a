/**
 * The wire shape of an entry's usage, and the filter for entries nobody uses
 * (docs/architecture/storage.md#entry-usage).
 */
import { type Static, Type } from 'typebox';
import { NullableDateTime, PageQuery } from './common.js';

const USAGE_NOTE =
  'Counted in memory by every process that decides and flushed to the store every --usage-flush-interval (10 s), so it trails traffic by up to that much.';

const USAGE_EXAMPLES = [{ hits: 1842, lastMatchedAt: '2026-12-06T19:30:00.000Z' }];

/** Hits and last match of an entry, every node added up. */
export const EntryUsage = Type.Object(
  {
    hits: Type.Integer({
      minimum: 0,
      description:
        'Requests this entry let through its stage (the one entry of its list the address was attributed to).',
    }),
    lastMatchedAt: {
      ...NullableDateTime,
      description: 'When it last did; null when never (since counting began).',
    },
  },
  {
    description: USAGE_NOTE,
    examples: USAGE_EXAMPLES,
  },
);

/**
 * The usage property of an entry schema, with where it is present.
 *
 * @example
 * Type.Object({ ...entryProperties, usage: usageProperty('Present on list and get answers.') })
 */
export function usageProperty(where: string) {
  return Type.Optional(
    Type.Object(EntryUsage.properties, { description: `${where} ${USAGE_NOTE}`, examples: USAGE_EXAMPLES }),
  );
}

export type EntryUsageDto = Static<typeof EntryUsage>;

/** The query of a list route that shows usage: paging, and the stale filter. */
export const EntryListQuery = Type.Object(
  {
    ...PageQuery.properties,
    notMatchedForDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3650,
        description:
          'Only entries that have not matched for this many days: last matched (or, never matched, created) before now minus N days.',
        examples: [30],
      }),
    ),
  },
  { additionalProperties: false },
);
