import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { App } from '../../app.ts';
import type { ImportSummary, ImportTarget } from '../../campaigns/import/import-recipients.ts';
import { csvLine } from '../../lib/csv.ts';
import { ValidationError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';
import { printable } from '../../lib/terminal-text.ts';

export interface ImportFileOptions {
  phoneColumn?: string;
  region?: string;
}

async function openInput(file: string): Promise<{ stream: Readable; size?: number; name: string }> {
  if (file === '-') return { stream: process.stdin, name: 'stdin' };
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch (err) {
    throw new ValidationError([{ path: 'file', message: `cannot read ${file}: ${(err as Error).message}` }]);
  }
  return { stream: createReadStream(file, { highWaterMark: 256 * 1024 }), size, name: path.basename(file) };
}

/** Import one file, with a progress bar by bytes when stderr is a terminal. */
export async function importFile(app: App, campaign: ImportTarget, file: string, opts: ImportFileOptions): Promise<ImportSummary> {
  const [{ default: cliProgress }, { importRecipients }] = await Promise.all([import('cli-progress'), import('../../campaigns/import/import-recipients.ts')]);
  const input = await openInput(file);
  const bar =
    process.stderr.isTTY && input.size
      ? new cliProgress.SingleBar(
          { format: 'importing [{bar}] {percentage}% | {value}/{total} MB | {eta_formatted} left', stream: process.stderr, hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  bar?.start(mb(input.size!), 0);
  try {
    return await importRecipients(app.db, campaign, input.stream, {
      fileName: input.name,
      phoneColumn: opts.phoneColumn,
      region: opts.region,
      onProgress: bar ? (bytes) => bar.update(mb(bytes)) : undefined,
    });
  } finally {
    bar?.stop();
  }
}

export function printImportSummary(s: ImportSummary, shown = 10): void {
  const rows: [string, number][] = [
    ['total', s.totalRows],
    ['imported', s.imported],
    ['duplicates', s.duplicates],
    ['invalid', s.invalid],
    ['opted out', s.optedOut],
  ];
  console.log(`import #${s.importId} of ${s.fileName}:`);
  const w = Math.max(...rows.map(([, n]) => String(n).length));
  for (const [label, n] of rows) console.log(`  ${label.padEnd(11)}${String(n).padStart(w)}`);
  for (const u of s.unfilled) {
    const more = u.count > u.lines.length ? ', …' : '';
    console.log(`  ${u.count} row(s) have an empty "${printable(u.column, { oneLine: true })}" and the message has no default for it: line(s) ${u.lines.join(', ')}${more}`);
  }
  if (s.rejected.length) {
    console.log(`rejected rows${s.invalid > shown ? ` (first ${shown} of ${s.invalid})` : ''}:`);
    for (const r of s.rejected.slice(0, shown)) console.log(`  line ${r.line}: ${printable(r.reason, { oneLine: true })}`);
  }
}

/** All rejected rows of an import as CSV (line,reason,raw), formula-safe, read from the database in pages. */
export async function writeRejectionsCsv(app: App, importId: number, file: string): Promise<number> {
  const { rejectionsPage } = await import('../../db/sql/import-recipients.sql.ts');
  const out = createWriteStream(file);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('line,reason,raw\n');
  let after: { line: number; id: number } | undefined;
  let n = 0;
  for (;;) {
    const page = await rejectionsPage(app.db.pool, importId, after, 5000);
    for (const r of page) await write(`${csvLine([String(r.line), r.reason, r.raw ?? ''])}\n`);
    n += page.length;
    if (page.length < 5000) break;
    const last = page[page.length - 1]!;
    after = { line: last.line, id: last.id };
  }
  out.end();
  await once(out, 'finish');
  return n;
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('import recipients from a CSV (header row required) into a campaign, all or nothing')
    .argument('<campaign>', 'campaign name or id')
    .argument('[file]', 'CSV file ("-" for stdin); default: the CSV named by the campaign definition')
    .option('--phone-column <name>', 'column holding the numbers (default: phone, phone_number, mobile or number)')
    .option('--region <cc>', "default country for numbers without a country code (default: the campaign's)")
    .option('--errors <out.csv>', 'write every rejected row (line,reason,raw) to this CSV')
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
        else printImportSummary(summary);
        if (written !== undefined && !flags.json) console.log(`wrote ${written} rejected row(s) to ${flags.errors}`);
      }, { migrate: true });
    });
}
