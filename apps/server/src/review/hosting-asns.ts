/**
 * Hosting and cloud networks: ASNs where anyone can rent a machine next to anyone else's, so that a
 * shared /24 or operator says little about who is calling. Curated by hand; each row names the
 * public record it was taken from (PeeringDB's network page for the ASN, or the provider's own
 * documentation of its ranges). Add a row with its source; docs/review.md#hosting-networks.
 */
const HOSTING: ReadonlyArray<readonly [asn: number, provider: string, source: string]> = [
  [16509, 'Amazon Web Services', 'https://www.peeringdb.com/asn/16509'],
  [14618, 'Amazon Web Services', 'https://www.peeringdb.com/asn/14618'],
  [8075, 'Microsoft Azure', 'https://www.peeringdb.com/asn/8075'],
  [396982, 'Google Cloud', 'https://www.peeringdb.com/asn/396982'],
  [15169, 'Google', 'https://www.peeringdb.com/asn/15169'],
  [31898, 'Oracle Cloud', 'https://www.peeringdb.com/asn/31898'],
  [14061, 'DigitalOcean', 'https://www.peeringdb.com/asn/14061'],
  [63949, 'Akamai Connected Cloud (Linode)', 'https://www.peeringdb.com/asn/63949'],
  [20473, 'Vultr (Choopa)', 'https://www.peeringdb.com/asn/20473'],
  [24940, 'Hetzner Online', 'https://www.peeringdb.com/asn/24940'],
  [213230, 'Hetzner Cloud', 'https://www.peeringdb.com/asn/213230'],
  [16276, 'OVHcloud', 'https://www.peeringdb.com/asn/16276'],
  [12876, 'Scaleway', 'https://www.peeringdb.com/asn/12876'],
  [51167, 'Contabo', 'https://www.peeringdb.com/asn/51167'],
  [45102, 'Alibaba Cloud', 'https://www.peeringdb.com/asn/45102'],
  [132203, 'Tencent Cloud', 'https://www.peeringdb.com/asn/132203'],
  [36351, 'IBM Cloud (SoftLayer)', 'https://www.peeringdb.com/asn/36351'],
  [60781, 'Leaseweb', 'https://www.peeringdb.com/asn/60781'],
  [9009, 'M247', 'https://www.peeringdb.com/asn/9009'],
  [13335, 'Cloudflare', 'https://www.peeringdb.com/asn/13335'],
  [54113, 'Fastly', 'https://www.peeringdb.com/asn/54113'],
  [47583, 'Hostinger', 'https://www.peeringdb.com/asn/47583'],
  [8560, 'IONOS', 'https://www.peeringdb.com/asn/8560'],
  [197540, 'netcup', 'https://www.peeringdb.com/asn/197540'],
];

const byAsn = new Map<number, string>(HOSTING.map(([asn, provider]) => [asn, provider]));

/**
 * The hosting provider an ASN belongs to, or null.
 *
 * @example hostingProvider(16509); // 'Amazon Web Services'
 */
export function hostingProvider(asn: number): string | null {
  return byAsn.get(asn) ?? null;
}

/** The curated list with its sources, for docs and `ipgate assess`. */
export const hostingAsns: ReadonlyArray<{
  readonly asn: number;
  readonly provider: string;
  readonly source: string;
}> = HOSTING.map(([asn, provider, source]) => ({ asn, provider, source }));
