/**
 * A dialog holding one form: its fields, then Cancel and the button that submits. Enter in a field
 * submits too; the page decides what submitting does (the browser never posts the form itself).
 */
import { Button, Group, Modal, type ModalProps, Stack } from '@mantine/core';
import type { ReactNode } from 'react';

export function FormModal(props: {
  opened: boolean;
  title: ReactNode;
  /** Closing: Cancel, Escape, the close button or a click outside. */
  onClose: () => void;
  onSubmit: () => void;
  submitLabel: ReactNode;
  /** The change is on its way: the submit button spins. */
  busy: boolean;
  /** A submit that cannot be undone, in red. */
  danger?: boolean;
  /** The form checks its fields itself, so the browser's own checks stay off. */
  noValidate?: boolean;
  size?: ModalProps['size'];
  children: ReactNode;
}) {
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={props.title}
      {...(props.size === undefined ? {} : { size: props.size })}
    >
      <form
        noValidate={props.noValidate}
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit();
        }}
      >
        <Stack>
          {props.children}
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" color={props.danger === true ? 'red.8' : undefined} loading={props.busy}>
              {props.submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
