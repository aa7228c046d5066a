/**
 * A commander option parser for repeatable options: each use adds its value to the list.
 *
 * Without a default the option stays undefined until it is used, so "not given" and "given" differ.
 *
 * @example new Command().option('--allow <entry>', 'repeatable', collect);
 */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
