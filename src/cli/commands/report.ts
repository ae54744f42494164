import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { ValidationError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';
import { printable } from '../../lib/terminal-text.ts';

function runIdOption(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) {
    throw new ValidationError([{ path: '--run', message: `must be a run id (a positive whole number), got "${value}"` }]);
  }
  return Number(value);
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description("a campaign's delivery report: counts by status, rates, failure reasons, lines, timing, runs")
    .argument('<name>', 'campaign name (or id)')
    .option('--run <id>', 'report on one run of a cron campaign', runIdOption)
    .addOption(new Option('--json', 'print the report as JSON (the same document as GET /api/campaigns/:id/report)').conflicts('csv'))
    .addOption(new Option('--csv', 'export one CSV row per recipient with its status history (streamed)').conflicts('json'))
    .action(async (name: string, opts: { run?: number; json?: boolean; csv?: boolean }) => {
      const [{ buildReport, reportScope }, { recipientsCsvStream }, { formatReport }] = await Promise.all([
        import('../../reports/build.ts'),
        import('../../reports/csv.ts'),
        import('../../reports/text.ts'),
      ]);
      await withApp(
        async (app) => {
          if (opts.csv) {
            // The same "not found" as the other forms, without building the report.
            const c = await reportScope(app.db.pool, name, opts.run ?? null);
            const csv = await recipientsCsvStream(app.db.pool, c.id, opts.run ?? null);
            await pipeline(csv, process.stdout, { end: false }).catch((err: NodeJS.ErrnoException) => {
              // `bluecast report x --csv | head` closes the pipe early: not a failure.
              if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
            });
            return;
          }
          const report = await buildReport(app.db.pool, name, { runId: opts.run ?? null, legalWindows: app.config.BLUECAST_LEGAL_WINDOWS });
          console.log(opts.json ? JSON.stringify(report, null, 2) : printable(formatReport(report)));
        },
        { migrate: true },
      );
    });
}
