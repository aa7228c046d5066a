/**
 * Text from the server made safe to print on a terminal: names, reasons and values are written by
 * whoever holds an editor token (or, for observed addresses, by callers), and a control character in
 * one could move the cursor, rewrite earlier lines or change the terminal's title. Control characters
 * are shown escaped instead; nothing else is changed.
 *
 * @example terminalText('office\u001b[2J'); // 'office\\u001b[2J'
 */
export function terminalText(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  // C0 controls (tab and newline included: they would break the table), DEL, C1 controls, and the
  // bidirectional overrides that make text read in another order than it is stored.
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
