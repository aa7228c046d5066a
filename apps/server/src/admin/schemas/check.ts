/**
 * The wire shape of `POST …/check`: a request described, not sent, and the decision with its reasons.
 */
import { Type } from 'typebox';
import { Id } from './common.js';

/** @example { "address": "203.0.113.7", "keyId": "key_1", "origin": "https://app.example.com" } */
export const CheckBody = Type.Object(
  {
    address: Type.String({ minLength: 1, maxLength: 100, description: 'The client address to decide for.' }),
    keyId: Type.Optional(Id("The key the request carries; applies the tenant's and the key's restrictions.")),
    apiId: Type.Optional(Id('The API the request goes to; applies its network allowlist.')),
    origin: Type.Optional(
      Type.String({
        maxLength: 2000,
        description: 'The Origin a browser would send; absent: a server request.',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ address: '203.0.113.7' }, { address: '198.51.100.20', origin: 'https://app.example.com' }],
  },
);

const Matched = Type.Object({
  stage: Type.String(),
  list: Type.String(),
  index: Type.Integer(),
  name: Type.Union([Type.String(), Type.Null()]),
  id: Type.Union([Type.String(), Type.Null()]),
  value: Type.String(),
});

/** @example { "allow": false, "status": 403, "stage": "tenant-restriction", "reason": "tenant-ip-not-listed", … } */
export const CheckResult = Type.Object({
  allow: Type.Boolean(),
  status: Type.Integer(),
  stage: Type.String({ description: 'The stage that denied, or complete.' }),
  reason: Type.String({ description: 'A decision reason of docs/errors.md.' }),
  reasonText: Type.String(),
  matched: Type.Array(Matched, { description: 'The rules that let the request through, in stage order.' }),
  reviewable: Type.Boolean(),
  detail: Type.Optional(Type.String()),
  address: Type.String(),
  tenantId: Type.Union([Type.String(), Type.Null()]),
  keyId: Type.Union([Type.String(), Type.Null()]),
  apiId: Type.Union([Type.String(), Type.Null()]),
  snapshotVersion: Type.Integer(),
});
