/**
 * An IP list as a table with its Add / edit / enable / delete controls: a tenant's list (API IP
 * Restriction) and an API's allowlist (IP Whitelist) both use it. Viewers get the table without any
 * control. Pages come from the server (limit and cursor).
 *
 * A change that can deny requests the list allows now — disabling an entry, a value that covers fewer
 * addresses, the first entry of a list that is open while empty — is replayed on the last 24 hours of
 * traffic first (the API's `dryRun`): when it would have denied anyone, the figures and the addresses
 * are shown with Confirm / Cancel; when it would have denied no one it is saved directly, and the
 * notice says so.
 */
import { Alert, Button, Group, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { type ChangeImpact, ChangeImpactNote, deniesNone, ImpactAlert } from './change-impact';
import { ConfirmModal } from './confirm-modal';
import { type EntryCover, inForce, narrows } from './entry-coverage';
import { EntryModal } from './entry-modal';
import { EntryValueCell } from './entry-value-cell';
import { LinkButton } from './link-button';
import { ListState } from './list-state';
import { Notice, type NoticeText } from './notice';
import { usePaged } from './pager';
import { TrashButton } from './trash-button';
import type { EntryFields, IpEntry, IpEntryWithWarnings } from './types';

const PAGE_SIZE = 50;

/** How the list reaches the server. */
export interface IpListAdapter {
  /** The query key of the list; the page's cursor is appended. */
  readonly key: readonly unknown[];
  list(cursor: string | undefined, limit: number): Promise<{ items: IpEntry[]; nextCursor?: string }>;
  get(entryId: string): Promise<IpEntry>;
  add(fields: EntryFields, confirmLockout: boolean): Promise<IpEntryWithWarnings>;
  update(entry: IpEntry, patch: Partial<EntryFields>, confirmLockout: boolean): Promise<IpEntry>;
  remove(entry: IpEntry, confirmLockout: boolean): Promise<void>;
  /** What deleting the entry would have done to the last day's traffic (nothing written). */
  removeImpact?(entry: IpEntry): Promise<ChangeImpact>;
  /** What editing the entry would have done to the last day's traffic (nothing written). */
  updateImpact?(entry: IpEntry, patch: Partial<EntryFields>): Promise<ChangeImpact>;
  /** What adding the entry would have done to the last day's traffic (nothing written). */
  addImpact?(fields: EntryFields): Promise<ChangeImpact>;
  /**
   * True for a list that lets every address in while no entry is in force (an API's whitelist): its
   * first entry in force — added, enabled or edited — denies every other address, so it is asked about
   * like a narrowing.
   */
  readonly openWhileEmpty?: boolean;
}

/**
 * The list's first page, as the table reads it (same key, same page size, so one read serves both):
 * what a page says about the list as a whole, e.g. whether it lets the console's own address in.
 */
export function useFirstPage(adapter: IpListAdapter) {
  return useQuery({
    queryKey: [...adapter.key, undefined],
    queryFn: () => adapter.list(undefined, PAGE_SIZE),
  });
}

/** A change shown with its impact, waiting for Confirm or Cancel. */
interface PendingImpact {
  readonly title: string;
  readonly what: ReactNode;
  readonly confirmLabel: string;
  /** The server's answer, or why there is none (the change is then asked about all the same). */
  readonly impact: ChangeImpact | { readonly unreadable: string };
  /**
   * Makes the change; true when it was saved (false: another question was asked, e.g. a lockout).
   * `noneDenied`: saved without asking, because it would have denied no one; the notice says so.
   */
  readonly run: (noneDenied: boolean) => Promise<boolean>;
  readonly onDone: () => void;
  readonly onError: (e: unknown) => void;
}

/** A question about a change's impact, before the impact is known. */
type ImpactQuestion = Omit<PendingImpact, 'impact'> & { readonly load: () => Promise<ChangeImpact> };

/** The fields of a form that differ from the entry. */
function patchOf(entry: IpEntry, fields: EntryFields): Partial<EntryFields> {
  const patch: Partial<EntryFields> = {};
  if (fields.value !== entry.value) patch.value = fields.value;
  if (fields.name !== entry.name) patch.name = fields.name;
  if (fields.enabled !== entry.enabled) patch.enabled = fields.enabled;
  if (fields.expiresAt !== entry.expiresAt) patch.expiresAt = fields.expiresAt;
  return patch;
}

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined);
}

const NONE_DENIED = 'It would have denied none of the requests allowed in the last 24 hours.';

/** A change waiting for the person to confirm that it may lock them out. */
interface PendingLockout {
  readonly message: string;
  readonly retry: () => Promise<unknown>;
}

function formatTime(iso: string | null): string {
  return iso === null ? '—' : new Date(iso).toLocaleString();
}

export function IpList(props: {
  adapter: IpListAdapter;
  canEdit: boolean;
  /** The console user's address as the server sees it. */
  clientAddress: string | null;
  /** Keys to refresh after a change besides the list (counts). */
  alsoInvalidate?: readonly (readonly unknown[])[];
  emptyText: string;
  addLabel: string;
}) {
  const { adapter } = props;
  const client = useQueryClient();
  const [search, setSearch] = useState('');
  const [editing, setEditing] = useState<{ entry: IpEntry | null } | null>(null);
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [deleting, setDeleting] = useState<IpEntry | null>(null);
  const [lockout, setLockout] = useState<PendingLockout | null>(null);
  const [pendingImpact, setPendingImpact] = useState<PendingImpact | null>(null);
  const [notice, setNotice] = useState<NoticeText | null>(null);
  // After a delete the row, and the trash icon that had the focus, are gone: the focus goes to the
  // notice saying so, not to the page's body (where the keyboard would start again from the top).
  const noticeRef = useRef<HTMLDivElement>(null);
  const [focusNotice, setFocusNotice] = useState(false);
  useEffect(() => {
    if (!focusNotice || notice === null) return;
    noticeRef.current?.focus();
    setFocusNotice(false);
  }, [focusNotice, notice]);

  // Another list (another API) is another key, whose pages start again at the first.
  const {
    query: list,
    pager,
    page,
  } = usePaged(adapter.key, (cursor) => adapter.list(cursor, PAGE_SIZE), { label: 'Pages of the list' });

  const refresh = async () => {
    await client.invalidateQueries({ queryKey: adapter.key });
    for (const key of props.alsoInvalidate ?? []) await client.invalidateQueries({ queryKey: key });
  };

  /** Runs a change; a lockout refusal asks the person and repeats it with confirmLockout. */
  const guarded = async (run: (confirm: boolean) => Promise<unknown>): Promise<boolean> => {
    try {
      await run(false);
      await refresh();
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'IPG_SELF_LOCKOUT') {
        setLockout({ message: e.message, retry: () => run(true) });
        return false;
      }
      throw e;
    }
  };

  /**
   * Reads the change's impact: when it would have denied no one, makes the change at once (and says
   * so); otherwise, or when the impact cannot be read, asks with the figures. True when saved now.
   */
  const throughImpact = async (question: ImpactQuestion): Promise<boolean> => {
    const { load, ...rest } = question;
    let impact: PendingImpact['impact'];
    try {
      impact = await load();
    } catch (e) {
      impact = { unreadable: e instanceof Error ? e.message : String(e) };
    }
    if (!('unreadable' in impact) && deniesNone(impact)) return question.run(true);
    setPendingImpact({ ...rest, impact });
    return false;
  };

  /**
   * True when the change puts the first entry in force on a list that lets everyone in while none is:
   * every other address is then denied. The first page must be the whole list to tell.
   */
  const locksDown = (before: EntryCover | null, after: EntryCover): boolean =>
    adapter.openWhileEmpty === true &&
    list.data !== undefined &&
    page === 1 &&
    list.data.nextCursor === undefined &&
    !list.data.items.some((e) => inForce(e)) &&
    (before === null || !inForce(before)) &&
    inForce(after);

  /** Whether the change can deny requests the list allows now: only then is its impact read. */
  const mayDeny = (before: IpEntry | null, after: EntryCover): boolean =>
    (before !== null && narrows(before, after)) || locksDown(before, after);

  /** How to read the change's impact, or undefined when it cannot deny anyone the list allows. */
  const impactOfSave = (entry: IpEntry | null, fields: EntryFields): ImpactQuestion['load'] | undefined => {
    if (!mayDeny(entry, fields)) return undefined;
    const { addImpact, updateImpact } = adapter;
    if (entry === null) return addImpact === undefined ? undefined : () => addImpact(fields);
    return updateImpact === undefined ? undefined : () => updateImpact(entry, patchOf(entry, fields));
  };

  const commitSave = (entry: IpEntry | null, fields: EntryFields, noneDenied: boolean): Promise<boolean> =>
    guarded(async (confirm) => {
      const impactNote = noneDenied ? ` ${NONE_DENIED}` : '';
      if (entry === null) {
        const added = await adapter.add(fields, confirm);
        setNotice(
          added.warnings.length > 0
            ? {
                color: 'yellow',
                text: `Added ${added.canonical}. ${added.warnings.map((w) => w.message).join(' ')}${impactNote}`,
              }
            : { color: 'green', text: `Added ${added.canonical}.${impactNote}` },
        );
      } else {
        await adapter.update(entry, patchOf(entry, fields), confirm);
        setNotice({ color: 'green', text: `Saved ${fields.name || fields.value}.${impactNote}` });
      }
    });

  const save = useMutation({
    mutationFn: async (fields: EntryFields) => {
      const entry = editing?.entry ?? null;
      const load = impactOfSave(entry, fields);
      if (load === undefined) return commitSave(entry, fields, false);
      const label = fields.name || fields.value;
      const first = locksDown(entry, fields);
      return throughImpact({
        load,
        title: first ? 'Let only this entry in?' : 'Narrow this entry?',
        what: first ? (
          <>
            While no entry is in force every address is let in: once <strong>{label}</strong> ({fields.value})
            is in force, only the addresses it covers are.
          </>
        ) : entry === null ? null : !inForce(fields) ? (
          <>
            <strong>{label}</strong> ({entry.value}) will no longer let anyone in.
          </>
        ) : (
          <>
            <strong>{label}</strong> will cover {fields.value} instead of {entry.value}: fewer addresses.
          </>
        ),
        confirmLabel: entry === null ? 'Add' : 'Save',
        run: (noneDenied) => commitSave(entry, fields, noneDenied),
        onDone: () => setEditing(null),
        onError: (e) => setFormError(asApiError(e)),
      });
    },
    onMutate: () => setFormError(null),
    onSuccess: (done) => {
      if (done) setEditing(null);
    },
    onError: (e) => setFormError(asApiError(e)),
  });

  const toggle = useMutation({
    mutationFn: async (entry: IpEntry) => {
      const label = entry.name || entry.canonical;
      const flip = (noneDenied: boolean) =>
        guarded(async (confirm) => {
          await adapter.update(entry, { enabled: !entry.enabled }, confirm);
          if (noneDenied)
            setNotice({
              color: 'green',
              text: `${entry.enabled ? 'Disabled' : 'Enabled'} ${label}. ${NONE_DENIED}`,
            });
        });
      const updateImpact = adapter.updateImpact;
      const after = { ...entry, enabled: !entry.enabled };
      if (updateImpact === undefined || !mayDeny(entry, after)) return flip(false);
      return throughImpact({
        load: () => updateImpact(entry, { enabled: after.enabled }),
        title: entry.enabled ? 'Disable this entry?' : 'Let only this entry in?',
        what: entry.enabled ? (
          <>
            <strong>{label}</strong> ({entry.canonical}) will no longer let anyone in until it is enabled
            again.
          </>
        ) : (
          <>
            While no entry is in force every address is let in: once <strong>{label}</strong> (
            {entry.canonical}) is enabled, only the addresses it covers are.
          </>
        ),
        confirmLabel: entry.enabled ? 'Disable' : 'Enable',
        run: flip,
        onDone: () =>
          setNotice({ color: 'green', text: `${entry.enabled ? 'Disabled' : 'Enabled'} ${label}.` }),
        onError: (e) => setNotice({ color: 'red', text: e instanceof ApiError ? e.message : String(e) }),
      });
    },
    onError: (e) => setNotice({ color: 'red', text: e instanceof ApiError ? e.message : String(e) }),
  });

  const confirmImpact = useMutation({
    mutationFn: async (pending: PendingImpact) => pending.run(false),
    onSuccess: (done, pending) => {
      setPendingImpact(null);
      if (done) pending.onDone();
    },
    onError: (e, pending) => {
      setPendingImpact(null);
      pending.onError(e);
    },
  });

  const remove = useMutation({
    mutationFn: (entry: IpEntry) => guarded((confirm) => adapter.remove(entry, confirm)),
    onSuccess: (done, entry) => {
      setDeleting(null);
      if (done) {
        setNotice({ color: 'green', text: `Deleted ${entry.name || entry.canonical}.` });
        setFocusNotice(true);
      }
    },
    onError: (e) => {
      setDeleting(null);
      setNotice({ color: 'red', text: e instanceof ApiError ? e.message : String(e) });
    },
  });

  const confirmLockout = useMutation({
    mutationFn: async () => {
      await lockout?.retry();
      await refresh();
    },
    onSuccess: () => {
      setLockout(null);
      setEditing(null);
      setNotice({ color: 'yellow', text: 'Saved. Your own address is no longer allowed by this list.' });
    },
    onError: (e) => {
      setLockout(null);
      setNotice({ color: 'red', text: e instanceof ApiError ? e.message : String(e) });
    },
  });

  const reloadEntry = async () => {
    const entry = editing?.entry;
    if (entry === null || entry === undefined) return;
    const fresh = await adapter.get(entry.id);
    setFormError(null);
    setEditing({ entry: fresh });
    await refresh();
  };

  const items = list.data?.items ?? [];
  const needle = search.trim().toLowerCase();
  const shown =
    needle === ''
      ? items
      : items.filter((e) => [e.name, e.value, e.canonical].some((t) => t.toLowerCase().includes(needle)));

  return (
    <Stack>
      <Group justify="space-between">
        <TextInput
          aria-label="Search this page by name or address"
          placeholder="Search by name or address"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={320}
        />
        {props.canEdit && (
          <Button
            onClick={() => {
              setFormError(null);
              setEditing({ entry: null });
            }}
          >
            {props.addLabel}
          </Button>
        )}
      </Group>
      <Notice notice={notice} onDismiss={() => setNotice(null)} ref={noticeRef} />
      <ListState
        query={list}
        loadingLabel="Loading the list"
        failedTitle="The list could not be read"
        isEmpty={items.length === 0}
        empty={props.emptyText}
      >
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Address or range</Table.Th>
              <Table.Th>Enabled</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>Added by</Table.Th>
              {props.canEdit && <Table.Th aria-label="Actions" />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((e) => {
              const label = e.name || e.canonical;
              return (
                <Table.Tr key={e.id} data-entry-id={e.id}>
                  <Table.Td>
                    {props.canEdit ? (
                      <LinkButton
                        onClick={() => {
                          setFormError(null);
                          setEditing({ entry: e });
                        }}
                        aria-label={`Edit ${label}`}
                      >
                        {e.name || <em>(no name)</em>}
                      </LinkButton>
                    ) : (
                      e.name || <em>(no name)</em>
                    )}
                  </Table.Td>
                  <Table.Td>{e.type === 'ip' ? 'IP' : 'Range'}</Table.Td>
                  <EntryValueCell value={e.value} canonical={e.canonical} />
                  <Table.Td>
                    {props.canEdit ? (
                      <Switch
                        checked={e.enabled}
                        // Not disabled while a change runs: a disabled control loses the keyboard's focus.
                        onChange={() => !toggle.isPending && !confirmImpact.isPending && toggle.mutate(e)}
                        aria-label={`${label} enabled`}
                        aria-disabled={toggle.isPending || confirmImpact.isPending}
                      />
                    ) : (
                      <Text size="sm">{e.enabled ? 'Enabled' : 'Disabled'}</Text>
                    )}
                  </Table.Td>
                  <Table.Td>{formatTime(e.expiresAt)}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{e.createdBy}</Text>
                    <Text size="xs" c="dimmed">
                      {formatTime(e.createdAt)}
                      {e.source !== 'manual' ? ` · ${e.source}` : ''}
                    </Text>
                  </Table.Td>
                  {props.canEdit && (
                    <Table.Td>
                      <TrashButton aria-label={`Delete ${label}`} onClick={() => setDeleting(e)} />
                    </Table.Td>
                  )}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ListState>
      {needle !== '' && (
        <Text size="sm" c="dimmed">
          {shown.length} of {items.length} on this page match.
        </Text>
      )}
      {pager}
      <EntryModal
        opened={editing !== null}
        entry={editing?.entry ?? null}
        onClose={() => setEditing(null)}
        onSave={async (fields) => {
          await save.mutateAsync(fields).catch(() => undefined);
        }}
        error={formError}
        saving={save.isPending}
        onReload={() => void reloadEntry()}
      />
      <ConfirmModal
        opened={pendingImpact !== null}
        title={pendingImpact?.title ?? ''}
        confirmLabel={pendingImpact?.confirmLabel ?? 'Confirm'}
        danger
        busy={confirmImpact.isPending}
        onConfirm={() => pendingImpact !== null && confirmImpact.mutate(pendingImpact)}
        onCancel={() => setPendingImpact(null)}
      >
        {pendingImpact !== null && (
          <Stack gap="xs">
            <span>{pendingImpact.what}</span>
            {'unreadable' in pendingImpact.impact ? (
              <Alert color="orange" p="xs" data-testid="change-impact">
                The impact on the last 24 hours could not be read: {pendingImpact.impact.unreadable}
              </Alert>
            ) : (
              <ImpactAlert impact={pendingImpact.impact} />
            )}
          </Stack>
        )}
      </ConfirmModal>
      <ConfirmModal
        opened={deleting !== null}
        title="Delete this entry?"
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        onConfirm={() => deleting !== null && remove.mutate(deleting)}
        onCancel={() => setDeleting(null)}
      >
        {deleting !== null && (
          <>
            <strong>{deleting.name || deleting.canonical}</strong> ({deleting.canonical}) will no longer be
            allowed. This cannot be undone.
            {adapter.removeImpact !== undefined && (
              <ChangeImpactNote
                queryKey={[...adapter.key, deleting.id, deleting.version]}
                load={() => (adapter.removeImpact as NonNullable<IpListAdapter['removeImpact']>)(deleting)}
              />
            )}
          </>
        )}
      </ConfirmModal>
      <ConfirmModal
        opened={lockout !== null}
        title="This would lock you out"
        confirmLabel="Save anyway"
        danger
        busy={confirmLockout.isPending}
        onConfirm={() => confirmLockout.mutate()}
        onCancel={() => setLockout(null)}
      >
        <Stack gap="xs">
          <span>{lockout?.message}</span>
          <span>
            You are using the console from <strong>{props.clientAddress ?? 'an unknown address'}</strong>, as
            the server sees it. After this change, calls from that address with this tenant's keys are denied.
          </span>
        </Stack>
      </ConfirmModal>
    </Stack>
  );
}
