import { InvalidArgumentError, type Command } from 'commander';
import type { Rule, RulesTable } from '../../compliance/schema.ts';
import { NotFoundError } from '../../lib/errors.ts';

// The rules and their holiday calendars load only when this command runs:
// registering it costs the other commands nothing.
const compliance = async () => {
  const [{ holidaysOf }, { WEEKDAYS }, { rulesTableInForce }] = await Promise.all([
    import('../../compliance/holidays.ts'),
    import('../../compliance/schema.ts'),
    import('../../compliance/in-force.ts'),
  ]);
  return { holidaysOf, WEEKDAYS, rulesTableInForce };
};
type Compliance = Awaited<ReturnType<typeof compliance>>;

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const ranges = (iv: readonly (readonly [number, number])[]) => (iv.length === 0 ? 'none' : iv.map(([s, e]) => `${hhmm(s)}-${hhmm(e)}`).join(', '));

/** Allowed hours per weekday, consecutive equal days grouped: "Mon-Sat 08:00-20:00; Sun none". */
function weekSummary({ WEEKDAYS }: Compliance, rule: Extract<Rule, { kind: 'hours' }>): { day: string; hours: string }[] {
  const order = [1, 2, 3, 4, 5, 6, 0];
  const per = order.map((i) => {
    const iv = rule.allowed[WEEKDAYS[i]!] ?? rule.allowed.daily;
    return { day: WEEKDAYS[i]!, hours: iv ? ranges(iv) : 'any time' };
  });
  const groups: { day: string; hours: string }[] = [];
  for (let i = 0; i < per.length; ) {
    let j = i;
    while (j + 1 < per.length && per[j + 1]!.hours === per[i]!.hours) j++;
    const cap = (d: string) => d[0]!.toUpperCase() + d.slice(1);
    groups.push({ day: i === j ? cap(per[i]!.day) : `${cap(per[i]!.day)}-${cap(per[j]!.day)}`, hours: per[i]!.hours });
    i = j + 1;
  }
  return groups;
}

/** The calendar's counted holidays in the next twelve months. */
function upcoming({ holidaysOf }: Compliance, rule: Extract<Rule, { kind: 'holidays' }>, table: RulesTable, now: Date): { date: string; name: string }[] {
  const from = now.toISOString().slice(0, 10);
  const to = new Date(now.getTime() + 365 * 86_400_000).toISOString().slice(0, 10);
  const types = rule.types ?? table.holidayTypes;
  const out: { date: string; name: string }[] = [];
  for (const y of [now.getUTCFullYear(), now.getUTCFullYear() + 1]) {
    for (const [date, name] of holidaysOf(rule.calendar, y, types)) if (date >= from && date < to) out.push({ date, name });
  }
  return out.sort((a, b) => a.date.localeCompare(b.date));
}

function describeRule(c: Compliance, rule: Rule, table: RulesTable, now: Date) {
  const common = { id: rule.id, kind: rule.kind, appliesTo: rule.appliesTo, source: rule.source, asOf: rule.asOf };
  if (rule.kind === 'hours') return { ...common, hours: weekSummary(c, rule) };
  if (rule.kind === 'holidays') {
    return { ...common, calendar: rule.calendar, holidayTypes: rule.types ?? table.holidayTypes, allowedOnHolidays: ranges(rule.allowed), upcoming: upcoming(c, rule, table, now) };
  }
  return { ...common, max: rule.max, windowHours: rule.windowHours };
}

function ruleLine(r: ReturnType<typeof describeRule>): string {
  if ('hours' in r) return r.hours.map((g) => `${g.day} ${g.hours}`).join('; ');
  if ('calendar' in r) {
    const next = r.upcoming.slice(0, 4).map((h) => `${h.date} ${h.name}`).join(', ');
    return `${r.holidayTypes.join('/')} holidays of ${r.calendar}: ${r.allowedOnHolidays}${next ? ` (next: ${next}${r.upcoming.length > 4 ? ', …' : ''})` : ''}`;
  }
  return `at most ${r.max} per ${r.windowHours} h per person`;
}

export function registerRulesCommand(program: Command): void {
  program
    .command('rules')
    .description('print the legal send rules in force: hours per weekday, holidays, caps, with their sources (BLUECAST_RULES_FILE overrides)')
    .option('--json', 'print JSON')
    .option('--jurisdiction <code>', 'only this jurisdiction, e.g. FL, US-FL or US', (v) => {
      const c = v.trim().toUpperCase();
      if (!/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(c)) throw new InvalidArgumentError('must be a code such as FL, US-FL or US');
      return c;
    })
    .action(async (opts: { json?: boolean; jurisdiction?: string }) => {
      // config.ts loads zod: not for `--help` (src/cli/main.ts).
      const { loadConfig } = await import('../../config.ts');
      const config = loadConfig();
      const c = await compliance();
      const table = c.rulesTableInForce(config);
      const now = new Date();
      let codes = Object.keys(table.jurisdictions);
      if (opts.jurisdiction) {
        const want = opts.jurisdiction;
        const code = table.jurisdictions[want] ? want : table.jurisdictions[`US-${want}`] ? `US-${want}` : undefined;
        if (!code) throw new NotFoundError(`no jurisdiction "${want}" in the rules (have: ${codes.join(', ')})`);
        codes = [code];
      }
      const jurisdictions = codes.map((code) => ({
        code,
        name: table.jurisdictions[code]!.name,
        rules: table.jurisdictions[code]!.rules.map((r) => describeRule(c, r, table, now)),
      }));
      const deployment = table.deployment.caps.map((c) => ({ id: c.id, max: c.max, windowHours: c.windowHours, appliesTo: c.appliesTo, source: c.source }));
      if (opts.json) {
        console.log(JSON.stringify({ version: table.version, holidayTypes: table.holidayTypes, fallbackJurisdictions: table.fallbackJurisdictions, overrideFile: config.BLUECAST_RULES_FILE ?? null, jurisdictions, deploymentCaps: deployment }, null, 2));
        return;
      }
      console.log(`send rules ${table.version}${config.BLUECAST_RULES_FILE ? ` (with ${config.BLUECAST_RULES_FILE})` : ''}; holidays counted: ${table.holidayTypes.join(', ')}; unknown region: ${table.fallbackJurisdictions.join(', ')}`);
      for (const j of jurisdictions) {
        console.log(`\n${j.code}  ${j.name}`);
        for (const r of j.rules) {
          console.log(`  ${r.id.padEnd(16)} ${r.kind.padEnd(8)} ${ruleLine(r)}${r.appliesTo === 'all' ? '  [also transactional]' : ''}`);
          console.log(`  ${''.padEnd(16)} as of ${r.asOf}: ${r.source.citation}${r.source.url ? ` <${r.source.url}>` : ''}`);
        }
      }
      if (!opts.jurisdiction) {
        console.log(`\ndeployment caps: ${deployment.length === 0 ? 'none' : deployment.map((c) => `${c.id}: at most ${c.max} per ${c.windowHours} h`).join('; ')}`);
      }
    });
}
