/**
 * "IP List Configuration": the add and edit form of an IP entry. `@ipgate/core` parses the value as it
 * is typed, so the form shows the canonical form, the type and core's warnings before anything is
 * sent; the server's own answer (an error with its field) is shown next to that field.
 */

import { parseEntry } from '@ipgate/core';
import { Alert, Button, Group, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import type { ApiError } from '../api/client';
import { ChoiceField } from './choice-field';
import { FormModal } from './form-modal';
import type { EntryFields, IpEntry } from './types';

/** What the live validation says about a value. */
export function validateValue(
  value: string,
  type: 'ip' | 'range',
): { error?: string; canonical?: string; warnings: string[] } {
  if (value.trim() === '') return { warnings: [] };
  try {
    const entry = parseEntry(value.trim());
    if (entry.type !== type) {
      return {
        error:
          type === 'ip'
            ? `${entry.canonical} is a range of addresses; choose IP Type "Range".`
            : `${entry.canonical} is a single address; choose IP Type "IP".`,
        canonical: entry.canonical,
        warnings: [],
      };
    }
    return { canonical: entry.canonical, warnings: entry.warnings.map((w) => w.message) };
  } catch (e) {
    const hint = (e as { hint?: string }).hint;
    return { error: `${(e as Error).message}${hint === undefined ? '' : ` ${hint}`}`, warnings: [] };
  }
}

/** `datetime-local` text of an ISO time, in the browser's zone. */
function toLocalInput(iso: string | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function EntryModal(props: {
  opened: boolean;
  entry: IpEntry | null;
  onClose: () => void;
  onSave: (fields: EntryFields) => Promise<void>;
  /** An API error to show; its field decides where. */
  error: ApiError | null;
  /** Shown instead of the Save button's normal state while saving. */
  saving: boolean;
  /** For an ETag conflict: read the entry again. */
  onReload?: () => void;
}) {
  const { entry } = props;
  const [type, setType] = useState<'ip' | 'range'>('ip');
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [expires, setExpires] = useState('');
  const [touched, setTouched] = useState(false);

  useEffect(() => {
    if (!props.opened) return;
    setType(entry?.type ?? 'ip');
    setName(entry?.name ?? '');
    setValue(entry?.value ?? '');
    setEnabled(entry?.enabled ?? true);
    setExpires(toLocalInput(entry?.expiresAt ?? null));
    setTouched(false);
  }, [props.opened, entry]);

  const live = useMemo(() => validateValue(value, type), [value, type]);
  const serverError = props.error;
  const fieldError = (field: string) =>
    serverError !== null && serverError.field === field ? serverError.message : undefined;
  const valueError =
    live.error ??
    fieldError('value') ??
    (touched && value.trim() === '' ? 'Enter an address or a range.' : undefined);
  const generalError =
    serverError !== null && !['value', 'name', 'expiresAt'].includes(serverError.field ?? '')
      ? serverError
      : null;

  const submit = async () => {
    setTouched(true);
    if (live.error !== undefined || value.trim() === '') return;
    await props.onSave({
      value: value.trim(),
      name: name.trim(),
      enabled,
      expiresAt: expires === '' ? null : new Date(expires).toISOString(),
    });
  };

  return (
    <FormModal
      opened={props.opened}
      onClose={props.onClose}
      title="IP List Configuration"
      size="lg"
      noValidate
      onSubmit={() => void submit()}
      submitLabel="Save"
      busy={props.saving}
    >
      <ChoiceField
        label="IP Type"
        value={type}
        onChange={(v) => setType(v as 'ip' | 'range')}
        data={[
          { value: 'ip', label: 'IP' },
          { value: 'range', label: 'Range' },
        ]}
      />
      <TextInput
        label="IP Name"
        description="What people know this address by, e.g. office or CI runner."
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        error={fieldError('name')}
        maxLength={200}
      />
      <TextInput
        label="IP Address or Range"
        description={
          live.canonical !== undefined && live.error === undefined
            ? `Stored as ${live.canonical}`
            : type === 'ip'
              ? 'One address, e.g. 203.0.113.7 or 2001:db8::1'
              : 'CIDR (203.0.113.0/24), netmask, or a range (192.168.10.10-20)'
        }
        value={value}
        onChange={(e) => setValue(e.currentTarget.value)}
        onBlur={() => setTouched(true)}
        error={valueError}
        required
        data-autofocus
      />
      {live.warnings.map((w) => (
        <Alert key={w} color="yellow" title="Check this entry">
          {w}
        </Alert>
      ))}
      <TextInput
        type="datetime-local"
        label="Expires (optional)"
        description="The entry stops letting anyone in at this time. Empty: never."
        value={expires}
        onChange={(e) => setExpires(e.currentTarget.value)}
        error={fieldError('expiresAt')}
      />
      <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
      {generalError !== null && (
        <Alert
          color="red"
          role="alert"
          title={generalError.code === 'IPG_VERSION_CONFLICT' ? 'Changed meanwhile' : 'Not saved'}
        >
          <Stack gap="xs">
            <Text size="sm">{generalError.message}</Text>
            {generalError.code === 'IPG_VERSION_CONFLICT' && props.onReload !== undefined && (
              <Group>
                <Button size="xs" variant="default" onClick={props.onReload}>
                  Reload the entry
                </Button>
              </Group>
            )}
          </Stack>
        </Alert>
      )}
    </FormModal>
  );
}
