/** Times as the console shows and reads them: in the browser's zone, sent to the server as ISO 8601. */

/** A time for a table cell; '—' for none. */
export function formatTime(iso: string | null): string {
  return iso === null ? '—' : new Date(iso).toLocaleString();
}

/** The ISO time of a `datetime-local` input's text (the browser's zone). */
export function fromLocalInput(text: string): string {
  return new Date(text).toISOString();
}
