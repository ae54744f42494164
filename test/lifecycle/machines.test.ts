import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { campaignMachine, runMachine } from '../../src/lifecycle/campaign.ts';
import type { Machine } from '../../src/lifecycle/machine.ts';
import { messageMachine } from '../../src/lifecycle/message.ts';

const SQL_DIR = fileURLToPath(new URL('../../src/db/sql/', import.meta.url));

/**
 * Every edge, written out here independently of the map, with what makes it:
 * adding an edge to a machine without saying why here fails the test below.
 */
const MESSAGE_EDGES: Record<string, string> = {
  'queued→sending': 'the claim',
  'queued→skipped': 'the claim of an opted-out contact; the opt-out sweep',
  'queued→cancelled': "the campaign's cancel",
  'sending→queued': 'retry, deferral, release; reconciler: not at the provider',
  'sending→sent': 'the provider confirmed; reconciler: found in history',
  'sending→failed': 'refused for good or out of attempts',
  'sending→cancelled': 'handed back after its campaign was cancelled',
  'sending→skipped': 'the opt-out sweep of a message claimed but not handed off yet',
  'sent→delivered': 'delivery report, delivery reconciler',
  'sent→read': 'read receipt',
  'sent→failed': 'delivery failure report',
  'sent→unconfirmed': 'a failure report that only says the carrier never confirmed',
  'unconfirmed→delivered': 'a later proof of delivery wins',
  'unconfirmed→read': 'a later proof of delivery wins',
  'unconfirmed→queued': 'retry-failed --include-unconfirmed',
  'delivered→read': 'read receipt',
  'failed→delivered': 'a later proof of delivery wins',
  'failed→read': 'a later proof of delivery wins',
  'failed→queued': 'campaign retry-failed',
  // No retrying edges since "one sender" (#13): care messages are queued rows the dispatcher sends.
  'queued→expired': "a hold that the rules would lift only after the campaign's send-by deadline",
  'sending→expired': "claimed at or after the campaign's send-by deadline",
};

const RUN_EDGES: Record<string, string> = {
  'pending→running': 'startDueRun',
  'running→running': 'retry-failed reopens a run still running',
  'completed→running': 'retry-failed reopens a completed run',
  'running→completed': 'completeFinishedRuns',
  'running→cancelled': "completeFinishedRuns of a cancelled campaign; the campaign's cancel",
  'pending→cancelled': "cancelPendingRunsOfCancelledCampaigns; the campaign's cancel",
};

const CAMPAIGN_EDGES: Record<string, string> = {
  'draft→scheduled': 'scheduleDraft',
  'scheduled→draft': 'unschedule before any run exists',
  'running→scheduled': 'a cron campaign between runs',
  'paused→scheduled': 'resume without a run',
  'draft→running': 'started by hand',
  'scheduled→running': 'markCampaignRunning',
  'paused→running': 'resume with a run in progress',
  'completed→running': 'retry-failed reopens a one-off campaign',
  'scheduled→paused': 'pause',
  'running→paused': 'pause',
  'running→completed': 'completeOneOffCampaigns',
  'scheduled→completed': 'a one-off campaign with nothing to send',
  'draft→cancelled': 'cancel',
  'scheduled→cancelled': 'cancel',
  'running→cancelled': 'cancel',
  'paused→cancelled': 'cancel',
  'running→blocked': 'blockCampaign: the provider refused the account',
  'scheduled→blocked': 'blockCampaign: refused on the first send of a run',
  'blocked→running': 'resume with a run in progress, once the account is fixed',
  'blocked→scheduled': 'resume without a run',
  'blocked→cancelled': 'cancel',
};

function pairs<S extends string>(m: Machine<S>): [S, S][] {
  return m.statuses.flatMap((from) => m.statuses.map((to) => [from, to] as [S, S]));
}

for (const [machine, spec] of [
  [messageMachine, MESSAGE_EDGES],
  [runMachine, RUN_EDGES],
  [campaignMachine, CAMPAIGN_EDGES],
] as [Machine<string>, Record<string, string>][]) {
  describe(`${machine.name} lifecycle`, () => {
    it.each(Object.entries(spec))('%s is an edge (%s)', (edge) => {
      const [from, to] = edge.split('→') as [string, string];
      expect(machine.canTransition(from, to)).toBe(true);
      expect(machine.from(to)).toContain(from);
    });

    it('has no edge but those', () => {
      const extra = pairs(machine)
        .filter(([from, to]) => machine.canTransition(from, to))
        .map(([from, to]) => `${from}→${to}`)
        .filter((e) => !(e in spec));
      expect(extra).toEqual([]);
      expect(machine.edges().sort()).toEqual(Object.keys(spec).sort());
    });

    it('refuses a statement that asks for an edge it does not have', () => {
      const [from, to] = pairs(machine).find(([f, t]) => !machine.canTransition(f, t))!;
      expect(() => machine.from(to, [from])).toThrow(new RegExp(`no edge ${from} → ${to}`));
    });
  });
}

describe('from(): the allowed-from set of a statement', () => {
  it('is what every target of a CASE accepts, narrowed on request', () => {
    expect(messageMachine.from(['queued', 'failed', 'cancelled'])).toEqual(['sending']);
    expect(messageMachine.from('read').sort()).toEqual(['delivered', 'failed', 'sent', 'unconfirmed']);
    expect(messageMachine.from('failed', ['sent'])).toEqual(['sent']);
  });
});

// ---- the SQL ---------------------------------------------------------------

const MACHINES: Record<string, Machine<string>> = { outbound_messages: messageMachine, campaign_runs: runMachine, campaigns: campaignMachine };

interface StatusUpdate {
  file: string;
  table: string;
  /** Literal target statuses (empty when the target is a parameter). */
  targets: string[];
  /** Literal statuses the statement requires of the row it moves. */
  literalFrom: string[];
  /** The row's status is matched against a parameter (= ANY($n), = ANY(${…}), or = $n for an ordered claim). */
  parameterisedFrom: boolean;
}

const literals = (s: string) => [...s.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);

/** Status-changing UPDATEs of the SQL text of one module. */
function statusUpdates(file: string, source: string): StatusUpdate[] {
  const out: StatusUpdate[] = [];
  // SQL shared between statements (`const CLAIM_UPDATE = \`…\``) is read where it is used.
  const shared = new Map([...source.matchAll(/const (\w+) = `([^`]*)`/g)].map((m) => [m[1]!, m[2]!]));
  const texts = [...source.matchAll(/`([^`]*)`/g)]
    .map((m) => m[1]!)
    .filter((t) => ![...shared.values()].includes(t))
    .map((t) => t.replace(/\$\{(\w+)\}/g, (ref, name: string) => shared.get(name) ?? ref));
  for (const sql of texts) {
    const starts = [...sql!.matchAll(/\bUPDATE\s+(outbound_messages|campaign_runs|campaigns)\b(?:\s+(?!SET\b)(\w+))?/g)];
    const preamble = starts.length ? sql!.slice(0, starts[0]!.index) : '';
    starts.forEach((m, i) => {
      const table = m[1]!;
      const alias = m[2];
      const segment = sql!.slice(m.index, starts[i + 1]?.index ?? sql!.length);
      const set = /\bSET\s+status\s*=\s*(CASE\b[\s\S]*?\bEND\b|'[a-z_]+'|\$\{[^}]*\}|\$\d+|[\w.]+)/.exec(segment);
      if (!set) return; // not a transition (a lease renewal, bookkeeping)
      const expr = set[1]!;
      const targets = expr.startsWith('CASE') ? [...expr.matchAll(/\b(?:THEN|ELSE)\s+'([a-z_]+)'/g)].map((t) => t[1]!) : literals(expr);
      const col = alias ? `${alias}\\.status` : `(?<![.\\w])status`;
      const context = (alias ? preamble : '') + segment.slice(set.index + set[0].length);
      const literalFrom = [...context.matchAll(new RegExp(`${col}\\s*(?:=|<>|IN)\\s*(\\([^)]*\\)|'[a-z_]+')`, 'g'))].flatMap((c) => literals(c[1]!));
      const parameterisedFrom = new RegExp(`${col}\\s*=\\s*(?:ANY\\()?\\$`).test(context);
      out.push({ file, table, targets, literalFrom, parameterisedFrom });
    });
  }
  return out;
}

describe('the SQL of src/db/sql and the machines', async () => {
  const files = (await readdir(SQL_DIR)).filter((f) => f.endsWith('.ts'));
  const updates = (await Promise.all(files.map(async (f) => statusUpdates(f, await readFile(path.join(SQL_DIR, f), 'utf8'))))).flat();

  it('finds the status-changing statements', () => {
    // Enough to know the scan reads the SQL at all: the claim, results, care, delivery, campaign and run statements.
    expect(updates.length).toBeGreaterThanOrEqual(20);
    expect(new Set(updates.map((u) => u.table))).toEqual(new Set(Object.keys(MACHINES)));
  });

  it('names no status pair a machine forbids, and no status it does not have', () => {
    const bad: string[] = [];
    for (const u of updates) {
      const m = MACHINES[u.table]!;
      for (const s of [...u.targets, ...u.literalFrom]) if (!m.statuses.includes(s)) bad.push(`${u.file}: ${u.table} has no status ${s}`);
      for (const from of u.literalFrom) for (const to of u.targets) if (!m.canTransition(from, to)) bad.push(`${u.file}: ${u.table} ${from} → ${to}`);
    }
    expect(bad).toEqual([]);
  });

  it('takes every allowed-from set as a parameter, never as literals', () => {
    const literal = updates.filter((u) => u.literalFrom.length > 0 || !u.parameterisedFrom).map((u) => `${u.file}: ${u.table} → ${u.targets.join('/') || '$'} from ${u.literalFrom.join(',') || '?'}`);
    expect(literal).toEqual([]);
  });

  it('every message and run edge is made by some statement (no dead edges)', async () => {
    for (const f of files) await import(path.join(SQL_DIR, f));
    await import('../../src/webhooks/delivery-status.ts');
    for (const m of [messageMachine, runMachine]) expect([...m.edgesInUse()].sort(), m.name).toEqual(m.edges().sort());
  });

  it('the scan sees a forbidden pair written as literals', () => {
    const [u] = statusUpdates('x.ts', "`UPDATE outbound_messages SET status = 'queued' WHERE id = $1 AND status = 'delivered'`");
    expect(u).toMatchObject({ table: 'outbound_messages', targets: ['queued'], literalFrom: ['delivered'], parameterisedFrom: false });
    expect(messageMachine.canTransition('delivered', 'queued')).toBe(false);
  });
});
