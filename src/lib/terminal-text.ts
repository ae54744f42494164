// Terminal escapes (CSI, OSC, other ESC sequences), C0/C1 controls and DEL,
// and the bidi overrides that make a line read other than it prints.
const ESCAPES = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|[PX^_][^\u001B]*(?:\u001B\\)?|[@-Z\\-_])|\u009B[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text that people sent (a reply, a name in a CSV) made safe to print on a
 * terminal: escape sequences and control characters removed, so a reply
 * cannot move the cursor, recolour, retitle or clear an operator's screen.
 * Tabs and line breaks become spaces when `oneLine` (table cells).
 */
export function printable(text: string, o: { oneLine?: boolean } = {}): string {
  const clean = text.replace(ESCAPES, '').replace(CONTROLS, '');
  return o.oneLine ? clean.replace(/[\t\n\r\u2028\u2029]+/g, ' ') : clean;
}
