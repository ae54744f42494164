import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';
import { checkCalendar } from './holidays.ts';
import { rulesOverrideSchema, rulesTableSchema, type RulesTable } from './schema.ts';

/** The table shipped with bluecast, versioned with the code. */
export const SHIPPED_RULES_FILE = fileURLToPath(new URL('./data/send-rules.json', import.meta.url));

export type RawRulesTable = z.input<typeof rulesTableSchema>;
type RawOverride = z.input<typeof rulesOverrideSchema>;

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError([{ path: '', message: `cannot read: ${(err as Error).message}` }], file);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError([{ path: '', message: `not JSON: ${(err as Error).message}` }], file);
  }
}

/** Parse a table; errors name `where` (the file) and the path of each bad entry. */
export function parseRulesTable(data: unknown, where: string): RulesTable {
  const r = rulesTableSchema.safeParse(data);
  if (!r.success) throw new ValidationError(issuesOf(r.error), where);
  const unknown: { path: string; message: string }[] = [];
  for (const [code, j] of Object.entries(r.data.jurisdictions)) {
    j.rules.forEach((rule, i) => {
      if (rule.kind !== 'holidays') return;
      try {
        checkCalendar(rule.calendar);
      } catch (err) {
        unknown.push({ path: `jurisdictions.${code}.rules.${i}.calendar`, message: (err as Error).message });
      }
    });
  }
  if (unknown.length > 0) throw new ValidationError(unknown, where);
  return r.data;
}

/**
 * The shipped table with a deployment's override merged in: top-level parts it
 * names replace the shipped ones, each jurisdiction it names replaces the
 * shipped jurisdiction whole (null removes it). The merged table is validated
 * again, so a fallback naming a removed jurisdiction is caught.
 */
export function mergeRules(baseData: RawRulesTable, overrideData: unknown, where: string): RulesTable {
  const o = rulesOverrideSchema.safeParse(overrideData);
  if (!o.success) throw new ValidationError(issuesOf(o.error), where);
  // Merged as written (raw), then parsed once: parsed rules hold minutes, not "HH:MM".
  const raw = overrideData as RawOverride;
  const jurisdictions: Record<string, unknown> = { ...baseData.jurisdictions };
  for (const [code, j] of Object.entries(raw.jurisdictions ?? {})) {
    if (j === null) delete jurisdictions[code];
    else jurisdictions[code] = j;
  }
  const merged = {
    version: raw.version ? `${baseData.version}+${raw.version}` : baseData.version,
    holidayTypes: raw.holidayTypes ?? baseData.holidayTypes,
    fallbackJurisdictions: raw.fallbackJurisdictions ?? baseData.fallbackJurisdictions,
    jurisdictions,
    deployment: raw.deployment ?? baseData.deployment,
  };
  return parseRulesTable(merged, `${where} (merged over the shipped table)`);
}

/** The shipped table as written, checked: the base an override merges over. */
export function shippedRulesData(): RawRulesTable {
  const data = readJson(SHIPPED_RULES_FILE);
  parseRulesTable(data, SHIPPED_RULES_FILE);
  return data as RawRulesTable;
}

/** The table in force: shipped, or shipped + BLUECAST_RULES_FILE. */
export function loadRulesTable(overrideFile?: string): RulesTable {
  const base = shippedRulesData();
  return overrideFile ? mergeRules(base, readJson(overrideFile), overrideFile) : parseRulesTable(base, SHIPPED_RULES_FILE);
}
