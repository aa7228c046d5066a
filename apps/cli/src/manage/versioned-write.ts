/**
 * The ETag the management API gives an entity at `version` (weak: the JSON may change while the
 * entity does not).
 *
 * @example etagOfVersion(3); // 'W/"3"'
 */
export function etagOfVersion(version: number): string {
  return `W/"${version}"`;
}

/**
 * The If-Match of a write: the version the user saw (`--expect-version`), else the version just
 * read. Either way the server applies the write only if nobody changed the entity in between, and
 * answers 412 IPG_VERSION_CONFLICT otherwise, which the command reports.
 *
 * @example
 * const ifMatch = await ifMatchFor(options.expectVersion, async () => (await read()).version);
 */
export async function ifMatchFor(
  expectVersion: number | undefined,
  readVersion: () => Promise<number>,
): Promise<string> {
  return etagOfVersion(expectVersion ?? (await readVersion()));
}

/** The `--expect-version` option's help. */
export const EXPECT_VERSION_HELP =
  'write only if it is still at this version (from list or get); default: the version read just before';
