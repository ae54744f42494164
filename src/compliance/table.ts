import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';
import { checkCalendar } from './holidays.ts';
import { rulesOverrideSchema, rulesTableSchema, type RulesTable } from './schema.ts';

/** The table shipped with bluecast, versioned with the code. */
export const SHIPPED_RULES_FILE = fileURLToPath(new URL('./data/send-rules.json', import.meta.url));

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
export function mergeRules(base: RulesTable, overrideData: unknown, where: string): RulesTable {
  const o = rulesOverrideSchema.safeParse(overrideData);
  if (!o.success) throw new ValidationError(issuesOf(o.error), where);
  const jurisdictions: Record<string, unknown> = { ...base.jurisdictions };
  for (const [code, j] of Object.entries(o.data.jurisdictions ?? {})) {
    if (j === null) delete jurisdictions[code];
    else jurisdictions[code] = j;
  }
  const merged = {
    version: o.data.version ? `${base.version}+${o.data.version}` : base.version,
    holidayTypes: o.data.holidayTypes ?? base.holidayTypes,
    fallbackJurisdictions: o.data.fallbackJurisdictions ?? base.fallbackJurisdictions,
    jurisdictions,
    deployment: o.data.deployment ?? base.deployment,
  };
  return parseRulesTable(merged, `${where} (merged over the shipped table)`);
}

/** The table in force: shipped, or shipped + BLUECAST_RULES_FILE. */
export function loadRulesTable(overrideFile?: string): RulesTable {
  const base = parseRulesTable(readJson(SHIPPED_RULES_FILE), SHIPPED_RULES_FILE);
  return overrideFile ? mergeRules(base, readJson(overrideFile), overrideFile) : base;
}
