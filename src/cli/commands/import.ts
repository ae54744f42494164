import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { App } from '../../app.ts';
import type { ImportFileOptions } from '../../campaigns/import/import-file.ts';
import type { ImportSummary, ImportTarget } from '../../campaigns/import/import-recipients.ts';
import { ValidationError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';

/** Import one file, with a progress bar by bytes when stderr is a terminal. */
export async function importFile(app: App, campaign: ImportTarget, file: string, opts: Omit<ImportFileOptions, 'onProgress'>): Promise<ImportSummary> {
  // Loaded here, not at the top: `bluecast --help` must not pay for the import machinery.
  const [{ default: progress }, { importFile: importCsvFile }] = await Promise.all([import('cli-progress'), import('../../campaigns/import/import-file.ts')]);
  let bar: cliProgress.SingleBar | undefined;
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  try {
    return await importCsvFile(app.db, campaign, file, {
      ...opts,
      onProgress: process.stderr.isTTY
        ? ({ bytes, totalBytes }) => {
            if (!totalBytes) return;
            if (!bar) {
              bar = new progress.SingleBar(
                { format: 'importing [{bar}] {percentage}% | {value}/{total} MB | {eta_formatted} left', stream: process.stderr, hideCursor: true, clearOnComplete: true },
                progress.Presets.shades_classic,
              );
              bar.start(mb(totalBytes), 0);
            }
            bar.update(mb(bytes));
          }
        : undefined,
    });
  } finally {
    bar?.stop();
  }
}

export async function printImportSummary(s: ImportSummary, shown = 10): Promise<void> {
  const { formatImportSummary } = await import('../../campaigns/import/import-file.ts');
  console.log(formatImportSummary(s, shown));
}

/** All rows of an import left out (line,kind,reason,raw), formula-safe; returns how many. */
export async function writeRejectionsCsv(app: App, importId: number, file: string): Promise<number> {
  const { rejectionsCsv } = await import('../../campaigns/import/rejections-csv.ts');
  const out = createWriteStream(file);
  const seen = { rows: 0 };
  for await (const chunk of rejectionsCsv(app.db.pool, importId, seen)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return seen.rows;
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('import recipients from a CSV (header row required) into a campaign, all or nothing')
    .argument('<campaign>', 'campaign name or id')
    .argument('[file]', 'CSV file ("-" for stdin); default: the CSV named by the campaign definition')
    .option('--phone-column <name>', 'column holding the numbers (default: phone, phone_number, mobile or number)')
    .option('--region <cc>', "default country for numbers without a country code (default: the campaign's)")
    .option('--errors <out.csv>', 'write every row left out (line,kind,reason,raw: invalid, duplicate, opted out) to this CSV')
    .option('--json', 'print the summary as JSON')
    .action(async (name: string, file: string | undefined, flags: { phoneColumn?: string; region?: string; errors?: string; json?: boolean }) => {
      const { findCampaignForImport } = await import('../../campaigns/definition.ts');
      await withApp(async (app) => {
        const campaign = await findCampaignForImport(app.db.pool, name);
        const source = file ?? campaign.csvPath;
        if (!source) throw new ValidationError([{ path: 'file', message: `campaign "${campaign.name}" names no CSV: give the file to import` }]);
        const summary = await importFile(app, campaign, source, { phoneColumn: flags.phoneColumn, region: flags.region });
        const written = flags.errors ? await writeRejectionsCsv(app, summary.importId, flags.errors) : undefined;
        if (flags.json) console.log(JSON.stringify(summary, null, 2));
        else await printImportSummary(summary);
        if (written !== undefined && !flags.json) console.log(`wrote ${written} rejected row(s) to ${flags.errors}`);
      }, { migrate: true });
    });
}
