/** Largest value of a PostgreSQL `integer` (int4) column: every serial id fits. */
export const MAX_INT4 = 2_147_483_647;

/**
 * A row id typed by a person or sent in a URL: positive, within int4, digits
 * only. Anything else is undefined, never a number the database would refuse.
 */
export function parseRowId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= MAX_INT4 ? n : undefined;
}

/** C0 controls (NUL included) and DEL: never part of a name, an id or a file name. */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
