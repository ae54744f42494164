import { SendRules, type CampaignRules, type RecentSend } from '../../src/compliance/engine.ts';
import { locate, nanpTable, type Location } from '../../src/compliance/location.ts';
import { loadRulesTable } from '../../src/compliance/table.ts';
import { isInWindow, type SendWindow } from '../../src/dispatch/window.ts';

/**
 * bench/rules: the send rules engine, per message, against the window check
 * the dispatcher does today (src/dispatch/window.ts, one Intl call per
 * message) on the same recipients and times, in the same run.
 *
 *   node --import tsx bench/rules/run.ts [--n N] [--dispatch-rate R]
 *
 * a. evaluate with the recipient kind's policy already compiled (what a claim
 *    path does with each recipient's location stored at import);
 * b. locate (area code / ZIP / state) + policy lookup + evaluate per message;
 * c. nextAllowed alone (no reasons): the cheapest gate a claim path can use,
 *    computing reasons only for the messages it holds back.
 * Recipients: numbers across every US area code, a quarter with a CSV state,
 * times spread over two weeks spanning the November DST change and
 * Thanksgiving, 0-4 recent sends each (the 3-per-24 h caps bite).
 *
 * Target: the legal check costs under 10 % of a send at the zero-latency
 * dispatch rate R (default 1,000 msg/s, bench/dispatch's target; pass the rate
 * bench/dispatch measured on this machine), i.e. at least 10 × R evaluations/s.
 */
const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const N = Number(arg('--n') ?? 200_000);
const DISPATCH_RATE = Number(arg('--dispatch-rate') ?? 1000);

// Deterministic inputs (no Math.random: runs compare).
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

const table = nanpTable();
const usCodes = Object.entries(table.areaCodes)
  .filter(([, v]) => v.regions.length > 0 && v.zones.length > 0)
  .map(([ac]) => ac);
const states = ['FL', 'TX', 'AL', 'NY', 'CA', 'WA', 'OK'];
const from = Date.parse('2026-10-26T00:00:00Z');
const span = 14 * 86_400_000;

interface Input {
  phone: string;
  state: string | null;
  now: Date;
  recent: RecentSend[];
  zone: string;
}
const inputs: Input[] = Array.from({ length: N }, (_, i) => {
  const ac = usCodes[Math.floor(rand() * usCodes.length)]!;
  const now = from + Math.floor(rand() * span);
  const k = Math.floor(rand() * 5);
  const recent = Array.from({ length: k }, () => ({ at: new Date(now - Math.floor(rand() * 30 * 3_600_000)) }));
  return {
    phone: `+1${ac}${String(2_000_000 + i).slice(-7)}`,
    state: i % 4 === 0 ? states[i % states.length]! : null,
    now: new Date(now),
    recent,
    zone: table.areaCodes[ac]!.zones[0]!,
  };
});

const rules = new SendRules(loadRulesTable());
const compileStart = performance.now();
const campaign: CampaignRules = { window: { startMinute: 9 * 60, endMinute: 21 * 60 }, transactional: false, zone: 'America/New_York', onCap: 'wait' };
const legacyWindow: SendWindow = { startMinute: 9 * 60, endMinute: 21 * 60 };
const locations: Location[] = inputs.map((p) => locate({ phone: p.phone, state: p.state }));
const policies = locations.map((l) => rules.policy(l, campaign));
// First evaluation of each kind compiles its weeks (the per-rule schedules too, for the reasons).
for (let i = 0; i < N; i++) rules.evaluate(policies[i]!, inputs[i]!.now, inputs[i]!.recent);
console.log(`first pass: locate ${N.toLocaleString('en-US')} recipients, compile ${new Set(policies).size} recipient kinds' weeks, evaluate: ${(performance.now() - compileStart).toFixed(0)} ms (once per process; Intl-bound)`);

function rate(label: string, fn: () => number): number {
  fn(); // warm: compiles every policy's weeks, JIT
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const sink = fn();
    const s = (performance.now() - t0) / 1000;
    runs.push(N / s);
    if (sink < 0) console.log(sink);
  }
  const best = Math.max(...runs);
  console.log(`${label}: ${Math.round(best).toLocaleString('en-US')}/s (best of 3 over ${N.toLocaleString('en-US')})`);
  return best;
}

const reference = rate('reference: dispatch window check (isInWindow)', () => {
  let ok = 0;
  for (const p of inputs) if (isInWindow(p.now, p.zone, legacyWindow)) ok++;
  return ok;
});
const verdicts = new Map<string, number>();
const compiled = rate('a. evaluate, policy compiled', () => {
  let ok = 0;
  for (let i = 0; i < N; i++) {
    const p = inputs[i]!;
    if (rules.evaluate(policies[i]!, p.now, p.recent, { onCap: campaign.onCap }).verdict === 'send') ok++;
  }
  return ok;
});
const gate = rate('c. nextAllowed only (the claim-path gate, no reasons)', () => {
  let ok = 0;
  for (let i = 0; i < N; i++) {
    const p = inputs[i]!;
    if (rules.nextAllowed(policies[i]!, p.now.getTime(), p.recent) === p.now.getTime()) ok++;
  }
  return ok;
});
const full = rate('b. locate + policy + evaluate', () => {
  let ok = 0;
  for (const p of inputs) if (rules.check(locate({ phone: p.phone, state: p.state }), campaign, p.now, p.recent).verdict === 'send') ok++;
  return ok;
});
for (let i = 0; i < N; i++) {
  const v = rules.evaluate(policies[i]!, inputs[i]!.now, inputs[i]!.recent, { onCap: campaign.onCap }).verdict;
  verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
}
console.log(`verdicts: ${[...verdicts].map(([v, n]) => `${v} ${n}`).join(', ')}; distinct policies ${new Set(policies).size}`);

const budget = 10 * DISPATCH_RATE;
const share = (r: number) => ((DISPATCH_RATE / r) * 100).toFixed(2);
console.log(`cost per message at ${DISPATCH_RATE} msg/s dispatch: a. ${share(compiled)} %, b. ${share(full)} %, c. ${share(gate)} % (target < 10 %)`);
const rows = [
  { name: 'rules a: evaluate (policy compiled)', measured: compiled, unit: 'evals/s', reference, referenceLabel: 'dispatch window check', target: `≥ ${budget.toLocaleString('en-US')}/s (< 10 % of ${DISPATCH_RATE} msg/s)`, met: compiled >= budget },
  { name: 'rules c: nextAllowed gate', measured: gate, unit: 'evals/s', reference, referenceLabel: 'dispatch window check', target: `≥ ${budget.toLocaleString('en-US')}/s (< 10 % of ${DISPATCH_RATE} msg/s)`, met: gate >= budget },
  { name: 'rules b: locate + evaluate', measured: full, unit: 'evals/s', reference, referenceLabel: 'dispatch window check', target: `≥ ${budget.toLocaleString('en-US')}/s (< 10 % of ${DISPATCH_RATE} msg/s)`, met: full >= budget },
];
console.log(`BENCH_JSON ${JSON.stringify({ bench: 'rules', rows })}`);
