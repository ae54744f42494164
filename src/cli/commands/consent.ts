import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { ManualResult } from '../../consent/operator.ts';

// The consent operations load pg and zod: only when a command runs, never for --help.
const operator = () => import('../../consent/operator.ts');
import { ValidationError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';

function printManual(r: ManualResult, json: boolean | undefined): void {
  if (json) return console.log(JSON.stringify(r, null, 2));
  const state = r.optedOut ? 'opted out' : 'opted in';
  const stopped = r.skippedMessages ? `; ${r.skippedMessages} queued message(s) stopped` : '';
  console.log(`${r.phone} ${r.changed ? `is now ${state}` : `was already ${state}; recorded again`}${stopped}`);
}

/** Writes a line to stdout, waiting when the pipe is full (an export can be millions of lines). */
async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(`${line}\n`)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
}

export function registerConsentCommands(program: Command): void {
  const consent = program.command('consent').description('opt-outs and opt-ins: manual changes, suppression lists, the consent export');

  consent
    .command('opt-out')
    .description('opt a number out now, as a STOP would (its queued messages are stopped)')
    .argument('<phone>', 'the number (E.164, or national with --region)')
    .requiredOption('--reason <text>', 'why (kept in the consent history)')
    .option('--region <cc>', 'country of numbers written without a country code', 'US')
    .option('--json', 'print JSON')
    .action(async (phone: string, o: { reason: string; region: string; json?: boolean }) => {
      await withApp(async (app) => printManual(await (await operator()).manualOptOut(app.db.pool, { phone, reason: o.reason, region: o.region }, 'cli'), o.json), { migrate: true });
    });

  consent
    .command('opt-in')
    .description('opt a number back in; only with the recorded basis of the consent')
    .argument('<phone>', 'the number (E.164, or national with --region)')
    .requiredOption('--basis <text>', 'where and when the person agreed (kept in the consent history)')
    .option('--region <cc>', 'country of numbers written without a country code', 'US')
    .option('--json', 'print JSON')
    .action(async (phone: string, o: { basis: string; region: string; json?: boolean }) => {
      await withApp(async (app) => printManual(await (await operator()).manualOptIn(app.db.pool, { phone, basis: o.basis, region: o.region }, 'cli'), o.json), { migrate: true });
    });

  consent
    .command('import')
    .description('opt out every number of a suppression list (CSV: number[, date][, source]); all or nothing')
    .argument('<file>', 'CSV file with a header (- for stdin)')
    .option('--region <cc>', 'country of numbers written without a country code', 'US')
    .option('--source <text>', 'source recorded for rows without one (default: "import <file name>")')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { region: string; source?: string; json?: boolean }) => {
      let stream: NodeJS.ReadableStream = process.stdin;
      if (file !== '-') {
        try {
          if (!(await stat(file)).isFile()) throw new Error('not a file');
        } catch (err) {
          throw new ValidationError([{ path: 'file', message: `cannot read ${file}: ${(err as Error).message}` }]);
        }
        stream = createReadStream(file);
      }
      await withApp(async (app) => {
        const s = await (await operator()).importSuppressionList(app.db.pool, stream as never, { fileName: file === '-' ? 'stdin' : path.basename(file), region: o.region, source: o.source });
        if (o.json) return console.log(JSON.stringify(s, null, 2));
        console.log(`${s.rows} row(s): ${s.optedOut} opted out, ${s.alreadyOptedOut} already opted out, ${s.overridden} kept opted in by a later opt-in; ${s.skippedMessages} queued message(s) stopped`);
      }, { migrate: true });
    });

  consent
    .command('export')
    .description('every consent change with its proof: number, state, time, keyword or action, the message, source')
    .option('--json', 'a JSON array of changes')
    .option('--csv', 'CSV with a header (the default)')
    .action(async (o: { json?: boolean; csv?: boolean }) => {
      if (o.json && o.csv) throw new ValidationError([{ path: '--json/--csv', message: 'choose one format' }]);
      await withApp(async (app) => {
        const { CONSENT_CSV_HEADER, consentCsvLine, consentHistory, consentRow } = await operator();
        if (!o.json) {
          await writeLine(CONSENT_CSV_HEADER.join(','));
          for await (const r of consentHistory(app.db.pool)) await writeLine(consentCsvLine(r));
          return;
        }
        // Streamed as an array, one change per line.
        let first = true;
        await writeLine('[');
        for await (const r of consentHistory(app.db.pool)) {
          if (!first) process.stdout.write(',\n');
          first = false;
          process.stdout.write(JSON.stringify(consentRow(r)));
        }
        await writeLine(first ? ']' : '\n]');
      }, { migrate: true });
    });
}
