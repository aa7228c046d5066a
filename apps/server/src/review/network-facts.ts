import { formatIPv4, formatIPv6, type IpAddress, IpSet, specialRanges } from '@ipgate/core';
import type { AddressFacts, DataVersion } from './assessment.js';
import { hostingProvider } from './hosting-asns.js';

/**
 * Where the facts of an address come from (docs/architecture/review.md#network-data). The server
 * uses the offline data ({@link loadIpLocationData}); tests give addresses on 127.0.0.0/8 the facts
 * they need through the same interface.
 *
 * @example
 * const facts = source.facts(IpAddress.parse('198.51.100.9'));
 * facts.asn; // 64500
 */
export interface NetworkFacts {
  /** The facts of one address; synchronous and in memory: the request path calls it. */
  facts(address: IpAddress): AddressFacts;
  /** The data's date and source, named in every verdict. */
  readonly version: DataVersion;
}

/** ASN, operator and country of one address, as a data set knows them. */
export interface AsnCountry {
  readonly asn: number | null;
  readonly asnName: string | null;
  readonly country: string | null;
}

const reserved = IpSet.from(specialRanges.map((r) => ({ value: r.cidr, name: r.purpose })));

/**
 * The special-purpose block an address is in (core's table of the IANA registries), or null.
 *
 * @example reservedPurpose(IpAddress.parse('10.1.2.3')); // 'private'
 */
export function reservedPurpose(address: IpAddress): string | null {
  return reserved.matchAddress(address)?.name ?? null;
}

/**
 * The /24 of an IPv4 address or the /48 of an IPv6 one, as CIDR text: what `same-network` compares.
 *
 * @example networkOf(IpAddress.parse('198.51.100.9')); // '198.51.100.0/24'
 */
export function networkOf(address: IpAddress): string {
  return address.family === 4
    ? `${formatIPv4((address.w3 & 0xffffff00) >>> 0)}/24`
    : `${formatIPv6(address.w0, address.w1 & 0xffff0000, 0, 0)}/48`;
}

/**
 * Facts from a lookup of ASN and country: the network, the reserved block and the hosting provider
 * are worked out here, the same way for every data source.
 *
 * @example
 * const facts = factsFrom(address, data.lookup(address));
 */
export function factsFrom(address: IpAddress, found: AsnCountry): AddressFacts {
  const purpose = reservedPurpose(address);
  return {
    address: address.toString(),
    network: networkOf(address),
    reserved: purpose,
    asn: purpose === null ? found.asn : null,
    asnName: purpose === null ? found.asnName : null,
    country: purpose === null ? found.country : null,
    hosting: purpose === null && found.asn !== null ? hostingProvider(found.asn) : null,
  };
}

/** No data at all: network and reserved space only. */
export const noNetworkData: NetworkFacts = {
  facts: (address) => factsFrom(address, { asn: null, asnName: null, country: null }),
  version: { date: null, source: 'no network data' },
};
