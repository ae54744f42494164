/**
 * `npm run bench`: every bench/<name>/run.ts, one after the other (they would
 * only disturb each other's timings side by side), each in its own process as
 * `node --import tsx bench/<name>/run.ts`; their output is shown as it comes,
 * prefixed with the bench's name, and the figures each prints on its last
 * `BENCH_JSON {...}` line are gathered into one table at the end.
 *
 *   node --import tsx bench/run-all.ts [--quick] [--only dispatch,report] [--strict]
 *
 * --quick: smaller sizes for a smoke run (minutes, not tens of minutes); the
 *          targets are stated for the full sizes, so read its "met?" loosely.
 * --strict: exit 1 when a target is not met (a bench that fails always exits 1).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const strict = args.includes('--strict');
const onlyArg = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const only = onlyArg ? new Set(onlyArg.split(',').map((s) => s.trim())) : undefined;

/** Sizes for --quick, by bench (each run.ts documents its own options). */
const QUICK: Record<string, { args?: string[]; env?: Record<string, string> }> = {
  cli: { args: ['--rounds', '3'] },
  dispatch: { args: ['--n', '2000'] },
  import: { args: ['--rows', '100000'] },
  report: { args: ['--messages', '100000', '--repeat', '10'] },
  plan: { args: ['--n', '100000'] },
  rules: { args: ['--n', '20000'] },
  webhooks: { env: { BENCH_SECONDS: '2' } },
};

const rowSchema = z.object({
  name: z.string(),
  measured: z.number(),
  unit: z.string(),
  reference: z.number().nullable(),
  referenceLabel: z.string(),
  target: z.string(),
  met: z.boolean().nullable(),
});
const reportSchema = z.object({ bench: z.string(), rows: z.array(rowSchema) });
type Row = z.infer<typeof rowSchema>;

interface Outcome {
  bench: string;
  seconds: number;
  rows: Row[];
  /** Why no figures came back, when none did. */
  failure?: string;
}

function discover(): string[] {
  return readdirSync(BENCH_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(BENCH_DIR, d.name, 'run.ts')))
    .map((d) => d.name)
    .sort();
}

function runBench(name: string): Promise<Outcome> {
  const extra = quick ? (QUICK[name] ?? {}) : {};
  const script = path.join(BENCH_DIR, name, 'run.ts');
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...(extra.args ?? [])], {
      cwd: ROOT,
      env: { ...process.env, ...extra.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let report: z.infer<typeof reportSchema> | undefined;
    let bad: string | undefined;
    const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('BENCH_JSON ')) {
            const parsed = reportSchema.safeParse(JSON.parse(line.slice('BENCH_JSON '.length)));
            if (parsed.success) report = parsed.data;
            else bad = `unreadable BENCH_JSON: ${parsed.error.message}`;
          } else out.write(`[${name}] ${line}\n`);
        }
      });
      stream.on('end', () => pending && out.write(`[${name}] ${pending}\n`));
    };
    relay(child.stdout, process.stdout);
    relay(child.stderr, process.stderr);
    child.on('error', (err) => resolve({ bench: name, seconds: 0, rows: [], failure: err.message }));
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - t0) / 1000;
      const rows = report?.rows ?? [];
      let failure: string | undefined;
      if (code !== 0) failure = `exited with ${signal ?? code}`;
      else if (!report) failure = bad ?? 'printed no BENCH_JSON line';
      resolve({ bench: name, seconds, rows, failure });
    });
  });
}

function fmt(n: number): string {
  const a = Math.abs(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function table(outcomes: Outcome[]): string {
  const head = ['benchmark', 'measured', 'reference', 'ratio', 'target', 'met?'];
  const body: string[][] = [];
  for (const o of outcomes) {
    if (o.failure && o.rows.length === 0) {
      body.push([o.bench, '—', '—', '—', '—', `FAILED (${o.failure})`]);
      continue;
    }
    for (const r of o.rows) {
      const unit = r.unit ? ` ${r.unit}` : '';
      const ref = r.reference === null ? '—' : `${fmt(r.reference)}${unit}${r.referenceLabel ? ` (${r.referenceLabel})` : ''}`;
      const ratio = r.reference ? `${(r.measured / r.reference).toFixed(2)}x` : '—';
      body.push([r.name, `${fmt(r.measured)}${unit}`, ref, ratio, r.target || '—', r.met === null ? '—' : r.met ? 'yes' : 'NO']);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const benches = discover().filter((b) => !only || only.has(b));
if (only) for (const b of only) if (!benches.includes(b)) console.error(`no bench named "${b}" (have: ${discover().join(', ')})`);
console.log(`running ${benches.length} benchmark(s)${quick ? ' (--quick sizes)' : ''}: ${benches.join(', ')}`);
const outcomes: Outcome[] = [];
for (const [i, b] of benches.entries()) {
  // The report benchmark leaves gigabytes of dirty pages for the kernel to
  // write back; flushed here, they do not land in the next benchmark's
  // latencies (webhook p99 went from 25 to 73 ms when run right after it).
  if (i > 0) spawnSync('sync', { stdio: 'ignore' });
  console.log(`\n=== bench/${b} ===`);
  outcomes.push(await runBench(b));
}

console.log(`\nbenchmarks (node ${process.version}${quick ? ', --quick sizes: targets are for the full sizes' : ''})\n`);
console.log(table(outcomes));
const rows = outcomes.flatMap((o) => o.rows).filter((r) => r.met !== null);
const met = rows.filter((r) => r.met).length;
const failed = outcomes.filter((o) => o.failure);
console.log(`\n${met}/${rows.length} targets met; ${outcomes.map((o) => `${o.bench} ${o.seconds.toFixed(0)} s`).join(', ')}`);
for (const f of failed) console.log(`bench/${f.bench} FAILED: ${f.failure}`);
process.exitCode = failed.length > 0 || (strict && met < rows.length) ? 1 : 0;
