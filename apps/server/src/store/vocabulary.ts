/**
 * The closed sets of words the store, the management API's schemas and the CLI share, each spelled
 * once here: the types, the validation, the JSON schemas and the CLI's choices are made from these
 * lists, so a new word is added in one place (and in a migration's column check). Nothing here
 * imports the server, so the CLI loads it as `@ipgate/server/vocabulary`.
 */
import { RESTRICTION_MODES, type RestrictionMode } from '@ipgate/core';

/**
 * Tenant IP restriction modes (docs/architecture/README.md#vocabulary): core's, as the decision reads them.
 *
 * @example IP_MODES.includes('auto'); // true
 */
export const IP_MODES = RESTRICTION_MODES;

/** Tenant IP restriction mode: one of {@link IP_MODES}. */
export type IpMode = RestrictionMode;

/**
 * Who made an entry: a person, the automatic assessment, or a review action.
 *
 * @example ENTRY_SOURCES[0]; // 'manual'
 */
export const ENTRY_SOURCES = ['manual', 'auto', 'review'] as const;

/** Who made an entry: one of {@link ENTRY_SOURCES}. */
export type EntrySource = (typeof ENTRY_SOURCES)[number];

/**
 * The roles of admin tokens and console users, least to most: each may do what the ones before it may.
 *
 * @example ROLES.indexOf('owner') > ROLES.indexOf('editor'); // true
 */
export const ROLES = ['viewer', 'editor', 'owner'] as const;

/** A principal's role: one of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/**
 * The headers an API can take its key from (lower case, as node:http names them).
 *
 * @example AUTH_HEADERS.includes('x-api-key'); // true
 */
export const AUTH_HEADERS = ['authorization', 'x-api-key'] as const;

/** Which header carries the key for an API: one of {@link AUTH_HEADERS}. */
export type AuthHeader = (typeof AUTH_HEADERS)[number];
