/**
 * ETags and `If-Match` for optimistic concurrency (docs/architecture/management.md#optimistic-concurrency):
 * the ETag is the entity's
 * version, weak because the JSON representation may change without the entity changing.
 */
import { IpGateError } from '@ipgate/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The ETag of an entity version.
 *
 * @example
 * etagOf(3); // 'W/"3"'
 */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/**
 * Sets the ETag of the entity a response carries and returns the entity, so handlers stay one line.
 *
 * @example
 * return withEtag(reply, toTenantDto(tenant));
 */
export function withEtag<T extends { readonly version: number }>(reply: FastifyReply, entity: T): T {
  void reply.header('etag', etagOf(entity.version));
  return entity;
}

const TAG = /^\s*(?:W\/)?"?([1-9][0-9]{0,15})"?\s*$/;

/**
 * The version an `If-Match` header names, for the store's `expectedVersion`; undefined when the
 * header is absent or `*` (any version). A header that names no version we hand out cannot match any
 * representation, which RFC 9110 answers with 412.
 *
 * @example
 * expectedVersion(req); // 3 for `If-Match: W/"3"`
 */
export function expectedVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = TAG.exec(header);
  if (match?.[1] === undefined) {
    throw new IpGateError('IPG_PRECONDITION_FAILED', `If-Match ${JSON.stringify(header)} names no version.`, {
      field: 'If-Match',
      hint: 'Send the ETag of your last read, e.g. W/"3", or leave If-Match out.',
    });
  }
  return Number(match[1]);
}
