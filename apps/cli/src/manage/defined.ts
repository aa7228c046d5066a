/**
 * The object without its undefined properties: an option not given is a field not sent, so the
 * server keeps its value (or default) rather than being told "undefined".
 *
 * @example defined({ name: 'Acme', ipMode: undefined }); // { name: 'Acme' }
 */
export function defined<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
