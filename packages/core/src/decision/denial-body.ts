/** The message platforms document for a denied call; kept word for word so existing clients keep working. */
export const DENIAL_MESSAGE = "Access denied. You don't have permission to access this.";

/**
 * The 403 JSON body (docs/architecture/pipeline.md#the-denial-body). The caller is not told which rule
 * failed; the operator finds
 * the reason by `requestId`.
 *
 * @example
 * JSON.stringify(denialBody('req_01H…')); // '{"error":"Access denied. You don\'t have permission to access this.","requestId":"req_01H…"}'
 */
export function denialBody(requestId: string): { error: string; requestId: string } {
  return { error: DENIAL_MESSAGE, requestId };
}
