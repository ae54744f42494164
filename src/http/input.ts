import { z } from 'zod';
import { CONTROL_CHARS, MAX_INT4, parseRowId } from '../lib/ids.ts';
import { ValidationError } from '../lib/errors.ts';

/** Text from a URL (path or query): bounded, without NUL or other control characters. */
export const urlText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters');

/**
 * `:id` of the /api/campaigns/:id routes: a campaign id or name. Names are
 * never all digits, so digits are an id, and an id must fit the column
 * (1 to 2147483647); anything else is refused here, never sent to the database.
 */
export const campaignParamsSchema = z.object({
  id: urlText(200).refine((s) => !/^\d+$/.test(s) || parseRowId(s) !== undefined, `must be a campaign name or an id from 1 to ${MAX_INT4}`),
});

/** `/imports/:importId`: an import's id. */
export const importParamsSchema = z.object({
  importId: z
    .string()
    .refine((s) => parseRowId(s) !== undefined, `must be an import id (a whole number from 1 to ${MAX_INT4})`)
    .transform(Number),
});

/** `?run=`: a run id. */
export const runIdSchema = z
  .string()
  .refine((s) => parseRowId(s) !== undefined, `must be a run id (a whole number from 1 to ${MAX_INT4})`)
  .transform(Number);

/** A request part checked against its schema; a 400 naming `where` (path, query, body) otherwise. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const res = schema.safeParse(value);
  if (!res.success) throw new ValidationError(res.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })), where);
  return res.data;
}
