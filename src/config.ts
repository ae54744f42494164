import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './lib/errors.ts';

const optionalString = z
  .string()
  .transform((v) => v.trim())
  .pipe(z.string())
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const postgresUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'postgres:' || u.protocol === 'postgresql:';
    } catch {
      return false;
    }
  }, 'must be a postgres:// or postgresql:// URL');

const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  .transform((v) => v.replace(/\/+$/, ''));

const port = z
  .string()
  .regex(/^\d+$/, 'must be a port number (0-65535)')
  .transform(Number)
  .pipe(z.number().max(65535, 'must be a port number (0-65535)'));

/** Comma-separated consent keywords; each must keep some letters once normalised. */
const keywordList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z
          .string()
          .max(60, 'each keyword must be at most 60 characters')
          // Replies are matched on their letters and digits only (consent/keywords.ts); config stays below consent.
          .refine((k) => /[\p{L}\p{N}]/u.test(k), 'each keyword needs letters or digits (emoji and punctuation are ignored in replies)'),
      )
      .min(1, 'must name at least one keyword')
      .max(200, 'at most 200 keywords'),
  );

const price = z.number({ message: 'must be a number' }).min(0, 'must not be negative').max(100, 'must be at most 100 per unit');

/**
 * What the deployment pays the provider, for the planner's cost: JSON such as
 * {"currency":"USD","imessage":0,"smsSegment":0.0083,"mms":0.02}. Per
 * iMessage sent, per SMS segment (GSM-7 160/153, UCS-2 70/67 characters),
 * per MMS (an SMS fallback with attachments).
 */
export const priceTableSchema = z
  .object({
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"'),
    imessage: price,
    smsSegment: price,
    mms: price.optional(),
  })
  .strict();

export type PriceTable = z.infer<typeof priceTableSchema>;

const priceTableJson = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"currency":"USD","imessage":0,"smsSegment":0.0083}' });
      return z.NEVER;
    }
  })
  .pipe(priceTableSchema);

/** Every environment variable bluecast reads, validated in one place. */
export /**
 * Deployment-wide frequency caps: "4/7d" (at most 4 marketing messages per
 * person in any rolling 7 days), comma-separated, hours ("h") or days ("d");
 * a leading "all:" counts transactional messages too ("all:10/7d").
 */
const frequencyCaps = z.string().transform((v, ctx) => {
  const caps: { id: string; max: number; windowHours: number; appliesTo: 'marketing' | 'all' }[] = [];
  for (const part of v.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(?:(all|marketing):)?(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*([hd])$/i.exec(part);
    const max = m ? Number(m[2]) : 0;
    const windowHours = m ? Number(m[3]) * (m[4]!.toLowerCase() === 'd' ? 24 : 1) : 0;
    if (!m || max < 1 || windowHours <= 0 || windowHours > 24 * 366) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not a cap: use N/<hours>h or N/<days>d, e.g. 4/7d or all:2/24h (N at least 1, at most 366 days)` });
      return z.NEVER;
    }
    const appliesTo = (m[1]?.toLowerCase() ?? 'marketing') as 'marketing' | 'all';
    caps.push({ id: `env.${appliesTo === 'all' ? 'all.' : ''}${max}-per-${windowHours}h`, max, windowHours, appliesTo });
  }
  return caps;
});

const envSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  /** Where the embedded PostgreSQL keeps its data when DATABASE_URL is unset (default: defaultDataDir). */
  BLUECAST_DATA_DIR: z.string().min(1).optional(),
  /**
   * As root only: where the embedded PostgreSQL's binaries (DIR/bin) and data
   * directories the postgres user cannot reach (DIR/data) are kept; default
   * /var/cache/bluecast/postgres and /var/lib/bluecast/postgres.
   */
  BLUECAST_PG_SHARED_DIR: z
    .string()
    .refine((v) => path.isAbsolute(v), 'must be an absolute path')
    .optional(),
  EMBEDDED_PG_PORT: port.default(54329),
  CONTIGUITY_API_KEY: z
    .string()
    .regex(/^contiguity_sk_[A-Za-z0-9_\-]+$/, 'must look like contiguity_sk_…')
    .optional(),
  /** Base of the provider API; the simulator's URL in tests and the demo. */
  CONTIGUITY_BASE_URL: httpUrl.default('https://api.contiguity.com'),
  /** Comma-separated whsec_ secrets; several are accepted during rotation. */
  WEBHOOK_SECRET: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(8, 'each secret must be at least 8 characters')).min(1, 'must name at least one secret'))
    .optional(),
  /** How far a webhook signature's timestamp may be from our clock, seconds (replays); 0 turns the check off. */
  WEBHOOK_TOLERANCE_SECONDS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds (0 = no check)')
    .transform(Number)
    .pipe(z.number().max(86_400, 'must be at most 86400'))
    .default(300),
  /** Largest webhook body accepted, bytes (413 beyond). */
  WEBHOOK_BODY_LIMIT_BYTES: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of bytes')
    .transform(Number)
    .pipe(z.number().min(1_048_576, 'must be at least 1048576 (1 MiB)').max(64 * 1_048_576, 'must be at most 67108864'))
    .default(1_048_576),
  BLUECAST_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  /** Public URL at which the provider reaches our webhook receiver. */
  PUBLIC_URL: httpUrl.optional(),
  /**
   * Behind a reverse proxy: "true" (trust the one in front), or the proxies'
   * addresses/CIDRs, comma-separated. Only then are X-Forwarded-Proto and
   * X-Forwarded-For believed (Secure session cookie, per-client login limit).
   */
  TRUST_PROXY: z
    .string()
    .transform((v) => v.trim())
    .pipe(
      z.union([
        z.enum(['true', 'false']).transform((v) => v === 'true'),
        z
          .string()
          .regex(/^[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*$/, 'must be "true", "false" or comma-separated proxy addresses/CIDRs')
          .transform((v) => v.split(',').map((s) => s.trim())),
      ]),
    )
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_ID: optionalString,
  REQUEST_TIMEOUT_MS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().min(100, 'must be at least 100').max(120_000, 'must be at most 120000'))
    .default(15_000),
  /** A JSON file whose jurisdictions replace the shipped send rules' (see README "Legal send windows"). */
  BLUECAST_RULES_FILE: optionalString,
  /** The dispatcher holds messages outside the recipient's legal send window (on) or checks only the campaign's own window (off, e.g. a test bench). */
  BLUECAST_LEGAL_WINDOWS: z.enum(['on', 'off']).default('on'),
  /** Deployment-wide caps added to the rules table's deployment.caps, e.g. "4/7d,all:10/30d" (see README "Legal send windows"). */
  BLUECAST_FREQUENCY_CAPS: frequencyCaps.optional(),
  /** The planner's price table (JSON, see priceTableSchema); unset: the plan counts segments but prices nothing. */
  BLUECAST_PRICES: priceTableJson.optional(),
  /**
   * How old a cached iMessage availability answer may be before the planner
   * counts the number as unknown again and `--check-availability` asks anew (hours).
   */
  BLUECAST_AVAILABILITY_MAX_AGE_HOURS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of hours, e.g. 720 (30 days)')
    .transform(Number)
    .pipe(z.number().min(0.01, 'must be more than 0').max(8760, 'must be at most 8760 (a year)'))
    .default(720),
  /**
   * Availability lookups per second (bursts of 5). The contract names no limit
   * for them; the default is the one rate it documents, a line's 1 message/s.
   */
  BLUECAST_AVAILABILITY_RATE: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of lookups per second, e.g. 1')
    .transform(Number)
    .pipe(z.number().min(0.1, 'must be at least 0.1').max(50, 'must be at most 50'))
    .default(1),
  /** Whole-message opt-out keywords added to the built-in ones (the FCC words are always on), e.g. BAJA,ALTO,PARAR. */
  CONSENT_OPT_OUT_KEYWORDS: keywordList.optional(),
  /** Whole-message opt-in keywords replacing START,UNSTOP,YES, e.g. START,UNSTOP,YES,COMENZAR,SI. */
  CONSENT_OPT_IN_KEYWORDS: keywordList.optional(),
  /** Confirmation sent once per opt-out when the campaign has none of its own (unset: none). */
  CONSENT_CONFIRMATION_TEXT: optionalString.pipe(z.string().max(1000, 'must be at most 1000 characters').optional()),
  /**
   * A person gets a campaign's auto-reply at most once in this many hours,
   * whichever campaign they answer (0: no time limit, only their first reply
   * to each campaign is answered).
   */
  AUTO_REPLY_ONCE_PER_HOURS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of hours, e.g. 24 (0: only the first reply to each campaign)')
    .transform(Number)
    .pipe(z.number().max(720, 'must be at most 720 (30 days)'))
    .default(24),
  /** The inbox sends a read receipt when an operator opens a thread with replies (false: people never see "Read"). */
  INBOX_READ_RECEIPTS: z.enum(['true', 'false'], { message: 'must be "true" or "false"' }).transform((v) => v === 'true').default(true),
});

export type Config = Omit<z.infer<typeof envSchema>, 'BLUECAST_DATA_DIR'> & { BLUECAST_DATA_DIR: string };

/**
 * In a development checkout, `.bluecast` in the working directory (beside the
 * code). Installed as a tool (this file under node_modules), the user's data
 * home, so the data does not depend on where the command is run from.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv, here = fileURLToPath(import.meta.url)): string {
  if (!here.split(path.sep).includes('node_modules')) return '.bluecast';
  const dataHome = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(env.HOME || homedir(), '.local', 'share');
  return path.join(dataHome, 'bluecast');
}

/** Parse an environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings are how shells and .env files spell "unset".
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') cleaned[key] = v;
  }
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`);
    throw new ConfigError(problems);
  }
  return { ...result.data, BLUECAST_DATA_DIR: result.data.BLUECAST_DATA_DIR ?? defaultDataDir(env) };
}
