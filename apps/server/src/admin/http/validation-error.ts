/**
 * Turns Fastify's schema validation errors into one IpGateError that names the field and says what is
 * wrong and what would be valid, in words for people rather than JSON Schema keywords.
 */
import { IpGateError } from '@ipgate/core';

/** The shape of one validation error (TypeBox's and Ajv's agree on it). */
export interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string | undefined;
}

const PARTS: Record<string, string> = {
  body: 'the body',
  querystring: 'the query',
  params: 'the path',
  headers: 'the headers',
};

/**
 * One error for a failed validation; `knownFields` lists the fields the schema has, for the message
 * about an unknown field (a misspelt field is refused rather than silently ignored).
 *
 * @example
 * validationError([{ keyword: 'enum', instancePath: '/ipMode', params: { allowedValues: ['off'] } }], 'body', []);
 * // IPG_VALIDATION_FAILED, field 'ipMode', 'ipMode must be one of: off.'
 */
export function validationError(
  errors: readonly SchemaError[],
  context: string | undefined,
  knownFields: readonly string[],
): IpGateError {
  const where = PARTS[context ?? 'body'] ?? 'the request';
  // The most specific error first: TypeBox reports a failed union both per branch and as a whole.
  const chosen =
    errors.find((e) => e.keyword === 'additionalProperties') ??
    errors.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'boolean' && e.keyword !== 'const') ??
    errors[0];
  if (chosen === undefined) {
    return new IpGateError('IPG_VALIDATION_FAILED', `${capital(where)} is not valid.`);
  }
  const path = chosen.instancePath
    .split('/')
    .filter((p) => p !== '')
    .map(unescapePointer);
  let field = path.join('.');
  let message: string;
  const p = chosen.params;
  const name = field === '' ? capital(where) : field;
  switch (chosen.keyword) {
    case 'required': {
      const missing = (p['requiredProperties'] as string[] | undefined)?.[0] ?? String(p['missingProperty']);
      field = field === '' ? missing : `${field}.${missing}`;
      message = `${field} is required in ${where}.`;
      break;
    }
    case 'additionalProperties': {
      const extra =
        (p['additionalProperties'] as string[] | undefined)?.[0] ?? String(p['additionalProperty']);
      field = field === '' ? extra : `${field}.${extra}`;
      const valid = knownFields.length > 0 ? ` Valid fields: ${knownFields.join(', ')}.` : '';
      message = `${field} is not a field of ${where}.${valid}`;
      break;
    }
    case 'enum':
      message = `${name} must be one of: ${(p['allowedValues'] as unknown[]).map(String).join(', ')}.`;
      break;
    case 'const':
      message = `${name} must be ${JSON.stringify(p['allowedValue'])}.`;
      break;
    case 'type':
      message =
        field === '' && context === 'body'
          ? 'The body must be a JSON object (send Content-Type: application/json).'
          : `${name} must be ${article(String(p['type']))}.`;
      break;
    case 'minLength':
      message =
        p['limit'] === 1
          ? `${name} must not be empty.`
          : `${name} must have at least ${p['limit']} characters.`;
      break;
    case 'maxLength':
      message = `${name} must have at most ${p['limit']} characters.`;
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      message = `${name} must be ${p['comparison']} ${p['limit']}.`;
      break;
    case 'pattern':
      message = `${name} has characters that are not allowed here (it must match ${p['pattern']}).`;
      break;
    case 'format':
      message =
        p['format'] === 'date-time'
          ? `${name} must be an ISO-8601 time with zone, e.g. 2030-01-01T00:00:00Z.`
          : `${name} must be a valid ${p['format']}.`;
      break;
    default:
      message = `${name} ${chosen.message ?? 'is not valid'}.`;
  }
  return new IpGateError('IPG_VALIDATION_FAILED', message, field === '' ? {} : { field });
}

function article(type: string): string {
  const words: Record<string, string> = {
    object: 'a JSON object',
    string: 'text',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    array: 'a list',
    null: 'null',
  };
  return words[type] ?? `of type ${type}`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// JSON Pointer escapes (RFC 6901).
function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
