/**
 * Where a recipient is, from their CSV row's columns: the state and ZIP ride in
 * campaign_recipients.variables under the header names (normalised, lower
 * case) any of these spell. One definition for every statement that reads a
 * recipient's place (claim, enqueue, lookup); the time zone has a column of its own.
 */
const STATE_KEYS = ['state', 'st', 'state_code', 'region'];
const ZIP_KEYS = ['zip', 'zip_code', 'zipcode', 'postal_code', 'postcode'];

const pick = (alias: string, keys: string[]) => `COALESCE(${keys.map((k) => `${alias}.variables->>'${k}'`).join(', ')})`;

/** SQL: the recipient row `alias`'s state as written, or NULL. */
export const recipientStateSql = (alias: string) => pick(alias, STATE_KEYS);
/** SQL: the recipient row `alias`'s ZIP as written, or NULL. */
export const recipientZipSql = (alias: string) => pick(alias, ZIP_KEYS);
/** Every key either reads: a row with none of them has no place in its columns. */
export const RECIPIENT_PLACE_KEYS: readonly string[] = [...STATE_KEYS, ...ZIP_KEYS];
