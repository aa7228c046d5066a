/**
 * What an action just did, above the list it changed: a dismissable message, read out by a screen
 * reader as a status (or, for a failure the person must notice, as an alert).
 */
import { Alert } from '@mantine/core';
import type { ReactNode, Ref } from 'react';

export interface NoticeText {
  readonly color: string;
  readonly text: ReactNode;
  /** Announced at once (role alert) rather than politely (role status). */
  readonly alert?: boolean;
}

/**
 * The notice, or nothing when there is none. Given a ref, it can take the focus (tabIndex -1), so a
 * keyboard user lands on it after the dialog that caused it closes.
 *
 * @example <Notice notice={notice} onDismiss={() => setNotice(null)} />
 */
export function Notice(props: {
  notice: NoticeText | null;
  onDismiss: () => void;
  ref?: Ref<HTMLDivElement>;
}) {
  const { notice } = props;
  if (notice === null) return null;
  return (
    <Alert
      ref={props.ref}
      tabIndex={props.ref === undefined ? undefined : -1}
      color={notice.color}
      role={notice.alert === true ? 'alert' : 'status'}
      withCloseButton
      onClose={props.onDismiss}
      closeButtonLabel="Dismiss"
    >
      {notice.text}
    </Alert>
  );
}
