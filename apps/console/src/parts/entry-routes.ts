/**
 * How an IP list reaches the server, built from its routes. A tenant's list and an API's whitelist
 * differ only in the routes (…/ip-restriction/entries, …/allowlist/entries); what a change sends — as
 * a question first (dryRun: nothing is written, the answer is the impact on the last day's traffic)
 * or confirmed past a lockout warning — is the same for both.
 */
import type { ChangeImpact } from './change-impact';
import type { IpListAdapter } from './ip-list';
import type { EntryFields, IpEntry, IpEntryWithWarnings } from './types';

/** What a change asks of the server besides the change itself. */
export interface ChangeOptions {
  readonly confirmLockout?: boolean;
  readonly dryRun?: true;
}

/** The calls on one list's routes, each typed against the API there. */
export interface EntryRoutes {
  /** The query key of the list; the page's cursor is appended. */
  readonly key: readonly unknown[];
  /** As {@link IpListAdapter.openWhileEmpty}. */
  readonly openWhileEmpty?: boolean;
  list(cursor: string | undefined, limit: number): Promise<{ items: IpEntry[]; nextCursor?: string }>;
  get(entryId: string): Promise<IpEntry>;
  post(fields: EntryFields, options: ChangeOptions): Promise<unknown>;
  patch(entry: IpEntry, patch: Partial<EntryFields>, options: ChangeOptions): Promise<unknown>;
  delete(entry: IpEntry, options: ChangeOptions): Promise<unknown>;
}

/** A dry run's answer: the change's impact. */
const impactOf = (answer: unknown) => (answer as { impact: ChangeImpact }).impact;

/**
 * The adapter the IP list part uses, over the list's routes.
 *
 * @example const adapter = entryListAdapter({ key: ['api-entries', apiId], list, get, post, patch, delete: del });
 */
export function entryListAdapter(routes: EntryRoutes): IpListAdapter {
  return {
    key: routes.key,
    ...(routes.openWhileEmpty === undefined ? {} : { openWhileEmpty: routes.openWhileEmpty }),
    list: (cursor, limit) => routes.list(cursor, limit),
    get: (entryId) => routes.get(entryId),
    add: async (fields, confirmLockout) =>
      (await routes.post(fields, { confirmLockout })) as IpEntryWithWarnings,
    update: async (entry, patch, confirmLockout) =>
      (await routes.patch(entry, patch, { confirmLockout })) as IpEntry,
    remove: async (entry, confirmLockout) => {
      await routes.delete(entry, confirmLockout ? { confirmLockout: true } : {});
    },
    addImpact: async (fields) => impactOf(await routes.post(fields, { dryRun: true })),
    updateImpact: async (entry, patch) => impactOf(await routes.patch(entry, patch, { dryRun: true })),
    removeImpact: async (entry) => impactOf(await routes.delete(entry, { dryRun: true })),
  };
}
