/**
 * Schemas every route shares: the error body, pages, ids, warnings and the lockout switch.
 *
 * Declared once with TypeBox: the same object validates the request, types the handler and becomes
 * the OpenAPI document, so the three cannot drift apart.
 */
import { type Static, type TSchema, Type } from 'typebox';

/**
 * The one error body of the management API (docs/architecture/management.md#errors).
 *
 * @example
 * { "error": { "code": "IPG_VALIDATION_FAILED", "message": "ipMode must be one of off, manual, auto.", "field": "ipMode" } }
 */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable code from docs/errors.md, e.g. IPG_NOT_FOUND.' }),
      message: Type.String(),
      field: Type.Optional(Type.String({ description: 'The request field the error is about.' })),
      hint: Type.Optional(Type.String({ description: 'How to write it right.' })),
    }),
  },
  { description: 'What every failed request answers.' },
);

/** @example const body: ErrorBodyType = { error: { code: 'IPG_NOT_FOUND', message: 'No key "key_1".' } }; */
export type ErrorBodyType = Static<typeof ErrorBody>;

/**
 * The error answers every authenticated route can give, for its response schema.
 *
 * @example
 * schema: { response: { 200: Tenant, ...errorResponses } }
 */
export const errorResponses = {
  400: errorAnswer(
    'Bad input: a value that is not valid (its own code, e.g. IPG_ENTRY_HOST_BITS) or a request that does not match the schema (IPG_VALIDATION_FAILED); field names it, hint says how to write it.',
  ),
  401: errorAnswer('No admin token, or one that does not exist (IPG_AUTH_REQUIRED).'),
  403: errorAnswer('The token is valid but its role does not allow this (IPG_ROLE_FORBIDDEN).'),
  404: errorAnswer(
    'Not found, or not yours: another tenant’s resource looks like a missing one (IPG_NOT_FOUND).',
  ),
  409: errorAnswer(
    'Refused: a limit is reached (IPG_LIMIT_REACHED), an equal resource exists (IPG_ALREADY_EXISTS), or the change would deny your own address (IPG_SELF_LOCKOUT).',
  ),
  412: errorAnswer(
    'If-Match names another version (IPG_VERSION_CONFLICT) or none (IPG_PRECONDITION_FAILED).',
  ),
  429: errorAnswer(
    'Too many failed attempts to authenticate from this address or with these credentials; unchecked, see Retry-After (IPG_AUTH_THROTTLED).',
  ),
  500: errorAnswer('A bug: logged in full on the server, answered without internals (IPG_INTERNAL_ERROR).'),
} as const;

/**
 * The error body with what the status means on every route, for the OpenAPI document.
 *
 * @example
 * response: { 401: errorAnswer('No admin token.') }
 */
export function errorAnswer(description: string) {
  return Type.Object(ErrorBody.properties, { description });
}

/**
 * Ids are opaque prefixed strings; the pattern keeps path segments tame without guessing prefixes.
 *
 * @example
 * Type.Object({ tenantId: Id('The tenant.') })
 */
export function Id(description: string) {
  return Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', description });
}

/** `limit` and `cursor` of every list route. @example querystring: PageQuery */
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'Page size, default 50.' })),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1000, description: 'The nextCursor of the previous page.' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * A page of items with the cursor of the next page (absent on the last).
 *
 * @example
 * response: { 200: Page(Tenant) }
 */
export function Page<T extends TSchema>(item: T) {
  return Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Optional(Type.String({ description: 'Pass as cursor to read the next page.' })),
    },
    { description: 'One page of the list; nextCursor is there when more follow.' },
  );
}

/** Text people give a resource. @example Type.Object({ name: Name }) */
export const Name = Type.String({ minLength: 1, maxLength: 200 });

/** A label that may be empty (entry names). @example Type.Object({ name: Type.Optional(Label) }) */
export const Label = Type.String({ maxLength: 200 });

/** ISO-8601 time in UTC. @example Type.Object({ createdAt: DateTime }) */
export const DateTime = Type.String({ format: 'date-time' });

/** Nullable ISO-8601 time. @example Type.Object({ expiresAt: NullableDateTime }) */
export const NullableDateTime = Type.Union([DateTime, Type.Null()]);

/**
 * Warnings core attaches to an accepted entry; they never stop a write.
 *
 * @example
 * { code: 'IPG_WARN_NON_PUBLIC', message: 'The entry covers private … space.' }
 */
export const Warning = Type.Object({
  code: Type.String(),
  message: Type.String(),
});

/** @example const w: WarningType = { code: 'IPG_WARN_COVERS_ALL', message: '…' }; */
export type WarningType = Static<typeof Warning>;

/** The switch that lets a change lock the caller out, for bodies. @example Type.Object({ confirmLockout: ConfirmLockout }) */
export const ConfirmLockout = Type.Optional(
  Type.Boolean({
    description: "Set to true to make a change that denies the caller's own current address.",
  }),
);

/** The lockout switch as a query parameter, for DELETE. @example querystring: ConfirmLockoutQuery */
export const ConfirmLockoutQuery = Type.Object(
  { confirmLockout: ConfirmLockout },
  { additionalProperties: false },
);

/** The `If-Match` header every PATCH, DELETE and action takes. @example headers: IfMatchHeaders */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({ description: 'The ETag of the last read (W/"<version>"); stale → 412.' }),
  ),
});
