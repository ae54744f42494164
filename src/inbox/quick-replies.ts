import { z } from 'zod';
import { compileTemplate, normalizeVariableName, renderMessage, requiredVariables } from '../campaigns/template.ts';
import { ValidationError } from '../lib/errors.ts';

/** A quick reply as the operator saves it: the body must compile as a message template. */
export const quickReplySchema = z.object({
  name: z.string().trim().min(1, 'a quick reply needs a name').max(60),
  body: z
    .string()
    .trim()
    .min(1, 'write the answer to save')
    .max(2000)
    .superRefine((body, ctx) => {
      try {
        compileTemplate(body);
      } catch (err) {
        const issues = err instanceof ValidationError ? err.issues : [{ message: String(err) }];
        for (const i of issues) ctx.addIssue({ code: 'custom', message: i.message });
      }
    }),
});
export type QuickReplyInput = z.infer<typeof quickReplySchema>;

export type RenderedQuickReply = { text: string; problem: null } | { text: null; problem: string };

/**
 * A quick reply for one person: {{first_name}} and the rest from their CSV
 * columns, {a|b} picked per thread (the same pick every time for one
 * person). A column the template needs without a default and the person
 * lacks is a problem to show, not a blank to send ("Hi , …").
 */
export function renderQuickReply(body: string, vars: Record<string, string>, pickKey: string): RenderedQuickReply {
  const t = compileTemplate(body);
  const given = new Set(Object.entries(vars).filter(([, v]) => v != null && String(v).trim() !== '').map(([k]) => normalizeVariableName(k)));
  const missing = requiredVariables(t).filter((n) => !given.has(n));
  if (missing.length) {
    return { text: null, problem: `this person has no ${missing.map((n) => `"${n}"`).join(', ')} column: give it a default, e.g. {{${missing[0]}|there}}` };
  }
  const text = renderMessage(t, vars, pickKey).body;
  return text ? { text, problem: null } : { text: null, problem: 'renders empty for this person' };
}

/** The input checked, or a ValidationError naming each field wrong (for the CLI; routes use parseInput). */
export function parseQuickReply(input: unknown): QuickReplyInput {
  const r = quickReplySchema.safeParse(input);
  if (!r.success) throw new ValidationError(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}
