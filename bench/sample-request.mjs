/**
 * The request record the recording benchmarks feed in: what the gateway benchmark's requests record
 * (an allowed `GET /v1/thing` from 127.0.0.1 with three matched entries). One definition, so the
 * recorder, hand-off and request-log benchmarks measure the same record.
 */

/** The ids the record names when a benchmark has no store of its own to take them from. */
export const sampleIds = Object.freeze({
  tenantId: 'ten_0123456789abcdef',
  apiId: 'api_0123456789abcdef',
  keyId: 'key_0123456789abcdef',
});

/** The entries a request matches in the gateway benchmark: the API's, the tenant's and the key's lists. */
export const sampleMatches = () => [
  { list: 'api-allowlist', entryId: 'ent_0123456789abcdef' },
  { list: 'tenant', entryId: 'ent_0123456789abcdeg' },
  { list: 'key-ips', entryId: 'kip_0123456789abcdef' },
];

/** One request record; `matched` defaults to a new list per record, as the gateway makes them. */
export function sampleRequest({
  requestId,
  at,
  ids = sampleIds,
  latencyMs = 1.234,
  matched = sampleMatches(),
}) {
  return {
    requestId,
    at,
    tenantId: ids.tenantId,
    apiId: ids.apiId,
    keyId: ids.keyId,
    client: '127.0.0.1',
    method: 'GET',
    path: '/v1/thing',
    status: 200,
    decision: 'allow',
    stage: 'complete',
    reason: 'allowed',
    latencyMs,
    origin: null,
    matched,
  };
}
