/**
 * The wire shape of an assessment (docs/architecture/review.md#the-assessment): the same JSON the
 * store keeps with the observation, so the API, the notifications and the audit trail agree.
 */
import { type Static, Type } from 'typebox';

const Factor = Type.Object(
  {
    factor: Type.Enum([
      'same-network',
      'same-asn',
      'same-country',
      'hosting-network',
      'reserved-address',
      'key-burst',
      'auth-failures',
      'first-address',
    ]),
    applies: Type.Boolean(),
    weight: Type.Number({
      description: 'The configured weight; 0 for factors that hold instead of scoring.',
    }),
    points: Type.Number({ description: 'What the factor added to the score: its weight when it applies.' }),
    holds: Type.Boolean({ description: 'It applies and holds the address whatever the score.' }),
    evidence: Type.String(),
  },
  { description: 'One named factor of the assessment.' },
);

const Facts = Type.Object(
  {
    address: Type.String(),
    network: Type.String({ description: 'The /24 (IPv4) or /48 (IPv6) of the address.' }),
    reserved: Type.Union([Type.String(), Type.Null()], {
      description: 'The special-purpose block (private, loopback, …); null for public space.',
    }),
    asn: Type.Union([Type.Integer(), Type.Null()]),
    asnName: Type.Union([Type.String(), Type.Null()]),
    country: Type.Union([Type.String(), Type.Null()], { description: 'ISO 3166-1 alpha-2.' }),
    hosting: Type.Union([Type.String(), Type.Null()], {
      description: 'The hosting or cloud provider of the ASN (curated list), or null.',
    }),
  },
  { description: 'What the offline network data says about the address.' },
);

/** An assessment. @example { "verdict": "trusted", "score": 70, "trustScore": 50, … } */
export const Assessment = Type.Object(
  {
    verdict: Type.Enum(['trusted', 'held']),
    score: Type.Number(),
    trustScore: Type.Number({ description: 'The score at which an address is trusted.' }),
    factors: Type.Array(Factor),
    reasons: Type.Array(Type.String(), {
      description: 'One line per factor that applied, then the verdict.',
    }),
    facts: Facts,
    data: Type.Object(
      {
        date: Type.Union([Type.String(), Type.Null()], {
          description: 'The day the network data was published; null when none was loaded.',
        }),
        source: Type.String(),
      },
      { description: 'Which offline network data the facts came from.' },
    ),
  },
  {
    description: 'Why the address was trusted or held: the score from named factors, with their evidence.',
    examples: [
      {
        verdict: 'trusted',
        score: 70,
        trustScore: 50,
        factors: [
          {
            factor: 'same-network',
            applies: true,
            weight: 60,
            points: 60,
            holds: false,
            evidence: '198.51.100.0/24 as listed 198.51.100.7',
          },
        ],
        reasons: ['same-network +60: 198.51.100.0/24 as listed 198.51.100.7', 'score 70 >= 50: trusted'],
        facts: {
          address: '198.51.100.9',
          network: '198.51.100.0/24',
          reserved: null,
          asn: 64500,
          asnName: 'Example Net',
          country: 'NL',
          hosting: null,
        },
        data: { date: '2026-06-17', source: '@ip-location-db/asn 2.3.2026061719' },
      },
    ],
  },
);

export type AssessmentDto = Static<typeof Assessment>;
