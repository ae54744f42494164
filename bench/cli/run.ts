/**
 * bench/cli: what a command costs to start. Prints, side by side from one run,
 * the CPU time (user + system, of the process and its children) of
 *   node -e 0                      the reference: a bare Node start
 *   bluecast --help
 *   bluecast campaign --help
 *   bluecast campaign list         against a running (embedded) PostgreSQL
 *   bluecast --help from sources   tsx, as before the compiled build (for comparison)
 * and the ratios to the reference. Targets: both --help ≤ 4× node -e 0;
 * campaign list under 1 s wall. Rounds interleave the commands so that they
 * share whatever else the machine is doing; medians are reported.
 *
 *   node --import tsx bench/cli/run.ts [--rounds 7]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// @ts-expect-error: a plain ESM script without types
import { build } from '../../scripts/build.mjs';
import { startBenchDatabase } from '../support.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const ROUNDS = Number(values.rounds);
const BIN = fileURLToPath(new URL('../../bin/bluecast.mjs', import.meta.url));

interface Sample {
  cpuMs: number;
  wallMs: number;
}

/**
 * One run of `argv` under bash, whose `times` builtin reports the CPU its
 * children used (Node cannot see a child's CPU time itself).
 */
function measure(argv: string[], env: NodeJS.ProcessEnv): Sample {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `s=$(date +%s%N); ${quoted} >/dev/null 2>&1 || echo "FAILED $?" >&2; e=$(date +%s%N); echo "wall $(( (e - s) / 1000 ))"; times`;
  const res = spawnSync('bash', ['-c', script], { env, encoding: 'utf8' });
  if (res.stderr.includes('FAILED')) throw new Error(`${argv.join(' ')} failed: ${res.stderr}`);
  const wall = Number(/wall (\d+)/.exec(res.stdout)?.[1]) / 1000;
  // `times` prints the shell's own times, then its children's: "0m0.123s 0m0.045s".
  const lines = res.stdout.trim().split('\n');
  const children = lines[lines.length - 1]!;
  const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { cpuMs: (secs[0]! + secs[1]!) * 1000, wallMs: wall };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await (build as () => Promise<void>)();
const bench = await startBenchDatabase('cli', { database: 'bluecast' });
try {
  const { url } = bench;
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' };
  delete env.BLUECAST_FROM_SOURCE;
  for (const name of ['spring', 'summer', 'autumn']) {
    const res = spawnSync(process.execPath, [BIN, 'campaign', 'create', '--name', `bench-${name}`, '--message', 'Hi {{first_name}}', '--from', '+14155552671'], { env, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`campaign create failed: ${res.stderr}`);
  }

  const commands: [string, string[], NodeJS.ProcessEnv][] = [
    ['node -e 0', [process.execPath, '-e', '0'], env],
    ['bluecast --help', [process.execPath, BIN, '--help'], env],
    ['bluecast campaign --help', [process.execPath, BIN, 'campaign', '--help'], env],
    ['bluecast campaign list', [process.execPath, BIN, 'campaign', 'list'], env],
    ['bluecast --help from sources (tsx)', [process.execPath, BIN, '--help'], { ...env, BLUECAST_FROM_SOURCE: '1' }],
  ];
  const samples = new Map<string, Sample[]>(commands.map(([n]) => [n, []]));
  for (const [, argv, e] of commands) measure(argv, e); // warm the page cache
  for (let r = 0; r < ROUNDS; r++) for (const [n, argv, e] of commands) samples.get(n)!.push(measure(argv, e));

  const cpu = (n: string) => median(samples.get(n)!.map((s) => s.cpuMs));
  const wall = (n: string) => median(samples.get(n)!.map((s) => s.wallMs));
  const ref = cpu('node -e 0');
  console.log(`median of ${ROUNDS} rounds (CPU = user + system):`);
  console.log(`${'command'.padEnd(36)}${'CPU ms'.padStart(8)}${'× node -e 0'.padStart(13)}${'wall ms'.padStart(9)}`);
  for (const [n] of commands) console.log(`${n.padEnd(36)}${cpu(n).toFixed(0).padStart(8)}${(cpu(n) / ref).toFixed(2).padStart(12)}×${wall(n).toFixed(0).padStart(9)}`);

  const row = (name: string, measured: number, unit: string, reference: number | null, referenceLabel: string, target: string, met: boolean | null) => ({
    name,
    measured: Math.round(measured),
    unit,
    reference: reference === null ? null : Math.round(reference),
    referenceLabel,
    target,
    met,
  });
  const rows = [
    row('bluecast --help CPU', cpu('bluecast --help'), 'ms', ref, 'node -e 0', '≤ 4x', cpu('bluecast --help') <= 4 * ref),
    row('bluecast campaign --help CPU', cpu('bluecast campaign --help'), 'ms', ref, 'node -e 0', '≤ 4x', cpu('bluecast campaign --help') <= 4 * ref),
    row('bluecast campaign list CPU', cpu('bluecast campaign list'), 'ms', ref, 'node -e 0', '', null),
    row('bluecast campaign list wall', wall('bluecast campaign list'), 'ms', null, '', '< 1000 ms', wall('bluecast campaign list') < 1000),
    row('bluecast --help from sources CPU', cpu('bluecast --help from sources (tsx)'), 'ms', ref, 'node -e 0', '', null),
  ];
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'cli', rows })}`);
} finally {
  await bench.stop();
}
