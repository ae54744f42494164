import { z } from 'zod';

/** "HH:MM-HH:MM" local time, end after start; "24:00" ends at midnight. */
const interval = z.string().transform((v, ctx): [number, number] => {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(v);
  const toMin = (h: string, mm: string) => Number(h) * 60 + Number(mm);
  if (m) {
    const start = toMin(m[1]!, m[2]!);
    const end = toMin(m[3]!, m[4]!);
    if (Number(m[2]) < 60 && Number(m[4]) < 60 && start < end && end <= 1440) return [start, end];
  }
  ctx.addIssue({ code: 'custom', message: `"${v}" is not a time range: use HH:MM-HH:MM within one day, end after start (e.g. 08:00-20:00)` });
  return z.NEVER;
});

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const intervals = z.array(interval);

/** Allowed local times: `daily` for every day, a weekday's own list overriding it; [] = none. */
const allowed = z
  .object({
    daily: intervals.optional(),
    sun: intervals.optional(),
    mon: intervals.optional(),
    tue: intervals.optional(),
    wed: intervals.optional(),
    thu: intervals.optional(),
    fri: intervals.optional(),
    sat: intervals.optional(),
  })
  .strict()
  .refine((a) => Object.values(a).some((v) => v !== undefined), 'name "daily" or at least one weekday');

const source = z
  .object({
    citation: z.string().min(10, 'cite the statute or rule'),
    url: z.url().optional(),
  })
  .strict();

const asOf = z.iso.date({ message: 'must be a date YYYY-MM-DD' });

/** Marketing only (the default), or every message including transactional ones. */
const appliesTo = z.enum(['marketing', 'all']).default('marketing');

const ruleId = z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');

const hoursRule = z
  .object({ id: ruleId, kind: z.literal('hours'), appliesTo, allowed, source, asOf })
  .strict();

/** On the calendar's holidays only `allowed` (usually nothing) remains. */
const holidaysRule = z
  .object({
    id: ruleId,
    kind: z.literal('holidays'),
    appliesTo,
    /** date-holidays calendar: "US" or "US-<state>". */
    calendar: z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'a date-holidays calendar such as "US" or "US-AL"'),
    /** Holiday types that count; the table's holidayTypes when absent. */
    types: z.array(z.enum(['public', 'bank', 'school', 'optional', 'observance'])).min(1).optional(),
    allowed: intervals,
    source,
    asOf,
  })
  .strict();

const capRule = z
  .object({
    id: ruleId,
    kind: z.literal('cap'),
    appliesTo,
    /** At most this many messages to a person within any rolling window... */
    max: z.number().int().min(1),
    /** ...of this many hours. */
    windowHours: z.number().positive().max(24 * 366),
    source,
    asOf,
  })
  .strict();

export const ruleSchema = z.discriminatedUnion('kind', [hoursRule, holidaysRule, capRule]);

export const jurisdictionSchema = z
  .object({
    name: z.string().min(1),
    rules: z.array(ruleSchema),
  })
  .strict();

const CODE = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;
const jurisdictionCode = z.string().regex(CODE, 'a code such as "US" or "US-FL"');

/** A record keyed by jurisdiction code; zod's own record-key error does not say what a key should be. */
function byJurisdiction<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      if (!CODE.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'not a jurisdiction code: use one such as "US" or "US-FL"' });
    }
  });
}

/** Deployment-wide caps ("at most 4 per person per 7 days"): a source is the deployment's own policy. */
const deploymentCap = capRule.extend({
  source: z.object({ citation: z.string().min(1), url: z.url().optional() }).strict().default({ citation: 'deployment policy' }),
  asOf: asOf.optional(),
});

export const rulesTableSchema = z
  .object({
    version: z.string().min(1),
    holidayTypes: z.array(z.enum(['public', 'bank', 'school', 'optional', 'observance'])).min(1),
    /** Applied where a recipient's region is unknown (e.g. a non-US NANP number). */
    fallbackJurisdictions: z.array(jurisdictionCode),
    jurisdictions: byJurisdiction(jurisdictionSchema),
    deployment: z.object({ caps: z.array(deploymentCap) }).strict(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const seen = new Map<string, string>();
    for (const [code, j] of Object.entries(t.jurisdictions)) {
      j.rules.forEach((r, i) => {
        const other = seen.get(r.id);
        if (other) ctx.addIssue({ code: 'custom', path: ['jurisdictions', code, 'rules', i, 'id'], message: `rule id "${r.id}" is also used in ${other}` });
        seen.set(r.id, code);
      });
    }
    t.fallbackJurisdictions.forEach((code, i) => {
      if (!t.jurisdictions[code]) ctx.addIssue({ code: 'custom', path: ['fallbackJurisdictions', i], message: `no jurisdiction "${code}" in the table` });
    });
  });

/**
 * An override file: any top-level part; each jurisdiction it names replaces the
 * shipped one whole (null removes it), so a deployment states a state's rules
 * completely rather than patching single fields.
 */
export const rulesOverrideSchema = z
  .object({
    version: z.string().min(1).optional(),
    holidayTypes: rulesTableSchema.shape.holidayTypes.optional(),
    fallbackJurisdictions: rulesTableSchema.shape.fallbackJurisdictions.optional(),
    jurisdictions: byJurisdiction(jurisdictionSchema.nullable()).optional(),
    deployment: rulesTableSchema.shape.deployment.optional(),
  })
  .strict();

export type RulesTable = z.infer<typeof rulesTableSchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type HoursRule = z.infer<typeof hoursRule>;
export type HolidaysRule = z.infer<typeof holidaysRule>;
export type CapRule = z.infer<typeof capRule>;
export type DeploymentCap = z.infer<typeof deploymentCap>;
export type Jurisdiction = z.infer<typeof jurisdictionSchema>;
