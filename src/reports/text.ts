import type { Report } from './schema.ts';

const num = (n: number) => n.toLocaleString('en-US');
const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Columns padded to their widest cell; numbers right-aligned. */
function table(head: string[], rows: (string | number)[][]): string[] {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? num(c) : c)))];
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => '  ' + r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** The human form of a report, for `bluecast report NAME`. */
export function formatReport(r: Report): string {
  const out: string[] = [];
  const c = r.campaign;
  const schedule = c.cronExpression ? `cron "${c.cronExpression}"` : c.scheduleAt ? `at ${c.scheduleAt}` : 'unscheduled';
  out.push(`Campaign ${c.name} (#${c.id}): ${c.status}, ${schedule}, ${c.timezone}`);
  out.push(`Legal rules: ${c.legal.rules}${c.legal.sendBy ? `; send by ${c.legal.sendBy}` : ''}${c.legal.recentContactHours ? `; skips people messaged in the last ${c.legal.recentContactHours} h` : ''}; capped messages ${c.legal.onCap === 'skip' ? 'are skipped' : 'wait'}`);
  out.push(r.runId === null ? `All runs (${r.runs.length} shown)` : `Run #${r.runId}`);
  out.push('');
  out.push('Messages by status');
  out.push(
    ...table(
      ['status', 'messages'],
      [
        ['queued', r.byStatus.queued],
        ['sending', r.byStatus.sending],
        ['sent (awaiting delivery)', r.byStatus.sent],
        ['delivered', r.byStatus.delivered],
        ['read', r.byStatus.read],
        ['failed', r.byStatus.failed],
        ['unconfirmed (may have been delivered)', r.byStatus.unconfirmed],
        ['cancelled', r.byStatus.cancelled],
        ['skipped (opted out)', r.totals.skippedOptedOut],
        ['skipped (frequency cap)', r.totals.skippedCapped],
        ['expired (send-by deadline)', r.byStatus.expired],
        ['total', r.totals.messages],
      ],
    ),
  );
  out.push('');
  const t = r.totals;
  const o = r.outcomes;
  out.push(
    `Progress ${pct(r.rates.progress)}: ${num(o.reachedOutcome)} of ${num(o.messages)} messages reached an outcome` +
      ` (${num(o.waiting)} waiting, ${num(o.awaitingDelivery)} awaiting delivery news, ${num(o.cancelled)} cancelled)`,
  );
  out.push(
    `Delivered ${num(o.delivered)} (${pct(r.rates.delivery)}), failed ${num(o.failed)} (${pct(r.rates.failure)}),` +
      ` unconfirmed ${num(o.unconfirmed)} (${pct(r.rates.unconfirmed)}) of ${num(o.deliveryOutcomes)} with a delivery outcome`,
  );
  out.push(`Sent ${num(t.sent)}, delivered ${num(t.delivered)}, read ${num(t.read)}, sent as SMS fallback ${num(t.fallback)}`);
  out.push(`Replies ${num(t.replies)} from ${num(t.repliers)} recipients, opt-outs ${num(t.optOuts)}, spam-flagged ${num(t.spamFlagged)}`);
  const w = r.webhookEvents;
  out.push(
    `Webhook events off their documented shape ${num(w.offShape)} (${num(w.allOffShape)} in all), dead-lettered ${num(w.deadLettered)} (${num(w.allDeadLettered)} in all)` +
      (w.allDeadLettered > 0 ? ': see bluecast webhooks dead-letters' : ''),
  );
  out.push('');
  out.push('Rates');
  const rates: [string, number | null, string][] = [
    ['progress', r.rates.progress, r.rateDefinitions.progress ?? ''],
    ['delivery', r.rates.delivery, r.rateDefinitions.delivery ?? ''],
    ['failure', r.rates.failure, r.rateDefinitions.failure ?? ''],
    ['unconfirmed', r.rates.unconfirmed, r.rateDefinitions.unconfirmed ?? ''],
    ['read', r.rates.read, r.rateDefinitions.read ?? ''],
    ['fallback', r.rates.fallback, r.rateDefinitions.fallback ?? ''],
    ['reply', r.rates.reply, r.rateDefinitions.reply ?? ''],
    ['opt-out', r.rates.optOut, r.rateDefinitions.optOut ?? ''],
    ['spam-flagged', r.rates.spamFlagged, r.rateDefinitions.spamFlagged ?? ''],
  ];
  out.push(...table(['rate', 'value', 'definition'], rates.map(([n, v, d]) => [n, pct(v), d])));
  out.push(`  (sent = ${r.rateDefinitions.sent})`);
  out.push('');
  out.push('Waiting because (legal rules)');
  const waiting = r.legalReasons.filter((l) => l.state === 'waiting');
  if (waiting.length === 0) out.push('  nothing held');
  else out.push(...table(['messages', 'rule', 'jurisdiction', 'until'], waiting.map((l) => [l.messages, l.rule, l.jurisdiction, l.until ?? '—'])));
  const closedRows = r.legalReasons.filter((l) => l.state !== 'waiting');
  if (closedRows.length > 0) {
    out.push('Skipped or expired because');
    out.push(...table(['messages', 'state', 'rule', 'jurisdiction'], closedRows.map((l) => [l.messages, l.state, l.rule, l.jurisdiction])));
  }
  out.push('');
  out.push('Failure reasons');
  if (r.failureReasons.length === 0) out.push('  none');
  else out.push(...table(['count', 'cause', 'example'], r.failureReasons.map((f) => [f.count, f.cause, f.example === f.cause ? '' : f.example])));
  out.push('');
  out.push('Sender lines');
  if (r.lines.length === 0) out.push('  none yet');
  else
    out.push(
      ...table(
        ['line', 'sent', 'delivered', 'failed', 'unconfirmed', 'fallback', 'spam flags', 'new contacts today'],
        r.lines.map((l) => [l.line ?? '(none)', l.sent, l.delivered, l.failed, l.unconfirmed, l.fallback, l.spamFlags, l.newContactsToday]),
      ),
    );
  out.push('');
  const tm = r.timing;
  const lat = tm.deliveryLatencyMs;
  out.push('Timing');
  out.push(`  started            ${tm.startedAt ?? 'not yet'}`);
  out.push(`  completed          ${tm.completedAt ?? 'not yet'}`);
  out.push(`  first send         ${tm.firstSentAt ?? '—'}`);
  out.push(`  last send          ${tm.lastSentAt ?? '—'}`);
  out.push(`  messages/minute    ${tm.messagesPerMinute === null ? '—' : tm.messagesPerMinute.toFixed(1)}`);
  out.push(`  time to delivery   p50 ${formatDuration(lat.p50)}, p95 ${formatDuration(lat.p95)} (${lat.method}, ${num(lat.samples)} deliveries)`);
  if (r.runs.length > 1 || c.cronExpression) {
    out.push('');
    out.push('Runs');
    out.push(
      ...table(
        ['run', 'scheduled for', 'status', 'messages', 'sent', 'delivered', 'failed', 'unconfirmed', 'replies', 'opt-outs'],
        r.runs.map((run) => [`#${run.id}`, run.scheduledFor, run.status, run.messages, run.sent, run.delivered, run.failed, run.unconfirmed, run.replies, run.optOuts]),
      ),
    );
  }
  return out.join('\n');
}
