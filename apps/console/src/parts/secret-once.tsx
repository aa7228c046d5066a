/**
 * A secret the server answers once (a new key, a rotated key, a webhook's signing secret): shown in a
 * dialog with a copy button, and gone from memory when the dialog closes — ipgate keeps only its hash.
 */
import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';

export interface OnceSecret {
  readonly title: string;
  readonly what: string;
  readonly secret: string;
}

export function SecretOnceModal(props: { secret: OnceSecret | null; onClose: () => void }) {
  const s = props.secret;
  return (
    <Modal opened={s !== null} onClose={props.onClose} title={s?.title ?? ''} size="lg">
      {s !== null && (
        <Stack>
          <Text size="sm">{s.what}</Text>
          <Code block data-testid="secret-once" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
            {s.secret}
          </Code>
          <Alert color="yellow" title="Shown this once">
            Store it now. ipgate keeps only its hash and cannot show it again; if it is lost, rotate.
          </Alert>
          <Group justify="flex-end">
            <CopyButton value={s.secret}>
              {({ copied, copy }) => (
                <Button variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
            <Button onClick={props.onClose} data-autofocus>
              I have stored it
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
