/**
 * The wire shape of `GET /v1/rules/…`: core's `PublishedRules` document (format `ipgate.rules/1`)
 * as a TypeBox schema for validation of the answer and the OpenAPI document, and the long-poll query.
 */
import { PUBLISHED_RULES_FORMAT } from '@ipgate/core';
import { Type } from 'typebox';
import { IP_MODES } from '../../store/vocabulary.js';
import { Id } from './common.js';

/** @example { "wait": 30 } */
export const RulesQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 60,
        default: 0,
        description:
          'With If-None-Match naming the current version: seconds to wait for a change before answering 304. 0 answers at once.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** @example { "if-none-match": "\"42\"" } */
export const RulesHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ maxLength: 1000, description: 'The ETag of the document the client has, e.g. "42".' }),
  ),
});

const Entry = Type.Object({
  id: Type.String(),
  name: Type.String(),
  value: Type.String({ description: 'The canonical form of the entry.' }),
});

/** @example { "format": "ipgate.rules/1", "version": 42, "scope": { "kind": "api", "apiId": "api_1" }, "entries": [] } */
export const PublishedRulesDocument = Type.Object(
  {
    format: Type.Literal(PUBLISHED_RULES_FORMAT),
    version: Type.Integer({
      minimum: 0,
      description: 'Changes whenever the content of this scope changes; also the ETag.',
    }),
    scope: Type.Union([
      Type.Object({ kind: Type.Literal('api'), apiId: Type.String() }),
      Type.Object({
        kind: Type.Literal('tenant'),
        tenantId: Type.String(),
        mode: Type.Enum(IP_MODES),
      }),
    ]),
    entries: Type.Array(Entry, { description: 'The enabled, unexpired entries, in list order.' }),
  },
  {
    description:
      'Live rules for a middleware or guard (packages/core parsePublishedRules). An empty api list lets everyone through; an empty tenant list in manual/auto denies everyone; mode off lets everyone through.',
  },
);

/** `/v1/rules/apis/{apiId}`. @example params: RulesApiParams */
export const RulesApiParams = Type.Object({ apiId: Id('The API.') });
