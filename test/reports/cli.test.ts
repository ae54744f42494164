import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/build.ts';
import { formatReport } from '../../src/reports/text.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedReportData, type Seeded } from './seed.ts';

describe('bluecast report', () => {
  let db: TestDatabase;
  let s: Seeded;
  // Every invocation starts at once: each is a process of its own, and the
  // file stays fast on two cores.
  let run: Record<'json' | 'text' | 'oneRun' | 'csv' | 'both' | 'badRun' | 'missing', CliResult>;
  beforeAll(async () => {
    db = await createTestDatabase();
    s = await seedReportData(db.pool);
    const env = { DATABASE_URL: db.url };
    const calls = {
      json: ['report', s.campaignName, '--json'],
      text: ['report', s.campaignName],
      oneRun: ['report', String(s.cronCampaignId), '--run', String(s.runIds[1]), '--json'],
      csv: ['report', s.campaignName, '--csv'],
      both: ['report', s.campaignName, '--json', '--csv'],
      badRun: ['report', s.campaignName, '--run', 'abc'],
      missing: ['report', 'nope'],
    };
    const results = await Promise.all(Object.values(calls).map((args) => runCli(args, { env, timeoutMs: 120_000 })));
    run = Object.fromEntries(Object.keys(calls).map((k, i) => [k, results[i]!])) as typeof run;
  }, 180_000);

  it('--json prints the same document as buildReport', async () => {
    expect(run.json.stderr).toBe('');
    expect(run.json.code).toBe(0);
    const fromCli = JSON.parse(run.json.stdout);
    // The suite runs with BLUECAST_LEGAL_WINDOWS=off (vitest config): the report says the legal rules held nothing.
    expect(fromCli.campaign.legal.rules).toMatch(/^off in this deployment/);
    const direct = await buildReport(db.pool, s.campaignId, { legalWindows: 'off' });
    expect({ ...fromCli, generatedAt: '' }).toEqual({ ...direct, generatedAt: '' });
    expect(fromCli.totals.messages).toBe(40);
  });

  it('prints a readable report with the same figures', async () => {
    const r = run.text;
    expect(r.code).toBe(0);
    const report = await buildReport(db.pool, s.campaignId);
    const row = (label: string) => r.stdout.match(new RegExp(`^  ${label.replace(/[()]/g, '\\$&')}\\s+(\\d+)$`, 'm'))?.[1];
    expect(row('delivered')).toBe(String(report.byStatus.delivered));
    expect(row('skipped (opted out)')).toBe(String(report.byStatus.skipped));
    expect(row('total')).toBe(String(report.totals.messages));
    expect(r.stdout).toContain(`Replies ${report.totals.replies} from ${report.totals.repliers} recipients, opt-outs ${report.totals.optOuts}`);
    expect(r.stdout).toMatch(/delivery\s+71\.4%\s+delivered \(or read\) \/ \(delivered \+ failed \+ unconfirmed\)/);
    expect(r.stdout).toMatch(/^\s+3\s+invalid number$/m);
    expect(r.stdout).toMatch(/^\s+2\s+provider HTTP 400: <phone> cannot receive iMessage\s+provider HTTP 400: \+15557770024 cannot receive iMessage$/m);
    expect(row('unconfirmed (may have been delivered)')).toBe(String(report.byStatus.unconfirmed));
    expect(r.stdout).toContain(`Progress ${(report.rates.progress! * 100).toFixed(1)}%: ${report.outcomes.reachedOutcome} of ${report.outcomes.messages} messages reached an outcome`);
    expect(r.stdout).toMatch(/time to delivery\s+p50 \d/);
  });

  it('--run reports one run; a cron campaign lists its runs', async () => {
    expect(run.oneRun.code).toBe(0);
    const doc = JSON.parse(run.oneRun.stdout);
    expect(doc.runId).toBe(s.runIds[1]);
    expect(doc.totals).toMatchObject({ messages: 40, delivered: 40, replies: 3 });
    // The text form of the cron campaign, in-process (the CLI prints formatReport's output).
    const text = formatReport(await buildReport(db.pool, `${s.campaignName}-weekly`));
    expect(text).toMatch(/^Runs$/m);
    expect(text).toMatch(new RegExp(`^  #${s.runIds[1]}\\s.*completed\\s+40\\s+40\\s+40\\s+0\\s+0\\s+3\\s+0$`, 'm'));
  });

  it('--csv streams one row per recipient, formulas escaped', () => {
    expect(run.csv.code).toBe(0);
    const rows = parse(run.csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(40);
    expect(rows.every((row) => /^\+\d+$/.test(row.phone!))).toBe(true);
  });

  it('usage errors exit 2, an unknown campaign exits 1 naming it', () => {
    expect(run.both.code).toBe(2);
    expect(run.both.stderr).toMatch(/cannot be used with/);
    expect(run.badRun.code).toBe(2);
    expect(run.badRun.stderr).toMatch(/--run: must be a run id/);
    expect(run.missing.code).toBe(1);
    expect(run.missing.stderr).toMatch(/campaign "nope" not found/);
  });
});
