import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createCampaign } from '../../src/campaigns/definition.ts';
import { openDatabase } from '../../src/db/database.ts';
import { startBenchDatabase } from '../support.ts';
import { writeRecipientsCsv } from './generate.ts';

/**
 * bench/import: import a generated 1,000,000-row CSV (phone + 3 columns) into
 * a campaign, and in the same run load the very rows the import produced —
 * already normalised — with `psql \copy` into a table with the same columns
 * and indexes: the physical limit. Prints both times, the ratio and the
 * import's peak RSS.
 *
 *   node --import tsx bench/import/run.ts [--rows N] [--keep]
 */
const execFileAsync = promisify(execFile);
const args = process.argv.slice(2);
const rows = Number(args[args.indexOf('--rows') + 1] ?? 0) || 1_000_000;
const PSQL = process.env.PSQL ?? '/usr/bin/psql';

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

async function psql(url: string, command: string): Promise<string> {
  const { stdout } = await execFileAsync(PSQL, [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command], { maxBuffer: 1 << 20 });
  return stdout;
}

/**
 * Our import, as a user runs it: `bluecast import NAME FILE --json` in its own
 * process. Peak RSS is the kernel's high-water mark of that process (main
 * thread, worker threads and buffers together), read from /proc while it runs.
 */
function runImportCli(url: string, campaign: string, file: string): Promise<{ seconds: number; maxRssMB: number; summary: Record<string, unknown> }> {
  const bin = fileURLToPath(new URL('../../bin/bluecast.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const env = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' };
    const p = spawn(process.execPath, [bin, 'import', campaign, file, '--json'], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    let hwmKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch {
        // exited between polls
      }
    }, 25);
    p.stdout.on('data', (c: Buffer) => (out += c));
    p.on('error', reject);
    p.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`bluecast import exited ${code}`));
      resolve({ seconds: seconds(t0), maxRssMB: hwmKb / 1024, summary: JSON.parse(out) as Record<string, unknown> });
    });
  });
}

const bench = await startBenchDatabase('import');
const { dir } = bench;
try {
  const { url } = bench;
  const db = openDatabase(url, { max: 2 });
  const campaign = await createCampaign(db, { name: 'bench', message: '{Hi|Hello} {{first_name|there}}, news from {{city|your city}}' });
  await db.close();

  const csvFile = path.join(dir, 'recipients.csv');
  let t0 = performance.now();
  await writeRecipientsCsv(csvFile, rows);
  const size = (await stat(csvFile)).size;
  console.log(`generated ${rows.toLocaleString('en-US')} rows (${(size / 1e6).toFixed(1)} MB) in ${seconds(t0).toFixed(1)} s`);

  await psql(url, 'CHECKPOINT');
  const ours = await runImportCli(url, campaign.name, csvFile);
  const { totalRows, imported, duplicates, invalid, optedOut, threads, timings } = ours.summary;
  console.log(
    `bluecast import: ${ours.seconds.toFixed(2)} s  ${JSON.stringify({ totalRows, imported, duplicates, invalid, optedOut, threads })}  peak RSS ${ours.maxRssMB.toFixed(0)} MB`,
  );
  console.log(`  database time (ms): ${JSON.stringify(timings)}`);

  // The reference rows are exactly what the import wrote, in the same text form.
  const refFile = path.join(dir, 'normalised.tsv');
  await psql(
    url,
    `\\copy (SELECT campaign_id, phone, variables, timezone, import_id, source_line FROM campaign_recipients WHERE campaign_id = ${campaign.id} ORDER BY source_line) TO '${refFile}'`,
  );
  const cols = '(campaign_id, phone, variables, timezone, import_id, source_line)';

  // 1. A table with the same columns and indexes (no foreign keys): the bare physical limit.
  await psql(url, 'CREATE TABLE ref_recipients (LIKE campaign_recipients INCLUDING DEFAULTS INCLUDING INDEXES)');
  await psql(url, 'CHECKPOINT');
  t0 = performance.now();
  await psql(url, `\\copy ref_recipients ${cols} FROM '${refFile}'`);
  const bare = seconds(t0);

  // 2. The same rows into campaign_recipients itself (a second campaign): adds its foreign-key checks.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const second = await client.query<{ id: number }>(`INSERT INTO campaigns (name, message) VALUES ('bench-ref', 'x') RETURNING id`);
  await client.end();
  const fkFile = path.join(dir, 'normalised-fk.tsv');
  await psql(
    url,
    `\\copy (SELECT ${second.rows[0]!.id}, phone, variables, timezone, import_id, source_line FROM campaign_recipients WHERE campaign_id = ${campaign.id} ORDER BY source_line) TO '${fkFile}'`,
  );
  await psql(url, 'CHECKPOINT');
  t0 = performance.now();
  await psql(url, `\\copy campaign_recipients ${cols} FROM '${fkFile}'`);
  const withFks = seconds(t0);

  const ratio = ours.seconds / bare;
  console.log(`psql \\copy, same columns + indexes:          ${bare.toFixed(2)} s`);
  console.log(`psql \\copy into campaign_recipients (+ FKs): ${withFks.toFixed(2)} s`);
  console.log(`ratio (import / bare \\copy):  ${ratio.toFixed(2)}x   target ≤ 3x: ${ratio <= 3 ? 'met' : 'NOT met'}`);
  console.log(`ratio (import / \\copy + FKs): ${(ours.seconds / withFks).toFixed(2)}x`);
  console.log(`peak RSS of the import: ${ours.maxRssMB.toFixed(0)} MB   target < 300 MB: ${ours.maxRssMB < 300 ? 'met' : 'NOT met'}`);
  // For bench/run-all.ts: one machine-readable line.
  const benchRows = [
    { name: `import: ${rows.toLocaleString('en-US')} rows`, measured: ours.seconds, unit: 's', reference: bare, referenceLabel: 'psql \\copy', target: '≤ 3x \\copy', met: ratio <= 3 },
    { name: 'import: peak RSS', measured: ours.maxRssMB, unit: 'MB', reference: null, referenceLabel: '', target: '< 300 MB', met: ours.maxRssMB < 300 },
  ];
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'import', rows: benchRows })}`);
} finally {
  await bench.stop({ keep: args.includes('--keep') });
}
