import { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';

/** `:id` of the /api/campaigns/:id routes: a campaign id or name. */
export const campaignParamsSchema = z.object({ id: z.string().min(1).max(200) });

/** A request part checked against its schema; a 400 naming `where` (path, query, body) otherwise. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const res = schema.safeParse(value);
  if (!res.success) throw new ValidationError(res.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })), where);
  return res.data;
}
