// The launch plan in the schedule confirmation: the forecast of the dispatcher's
// own rules (GET /api/campaigns/:id/plan as of the chosen send time), its
// checks, the SMS segments and the cost, so an operator sees how long the
// campaign will take and what stops it before confirming.
import { api, fmt, h, metric, table, when } from './dom.js';

const DAY_MS = 86_400_000;

function span(fromIso, toIso) {
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (ms < 3_600_000) return `${Math.max(1, Math.round(ms / 60_000))} min`;
  if (ms < 2 * DAY_MS) return `${(ms / 3_600_000).toFixed(1)} hours`;
  return `${(ms / DAY_MS).toFixed(1)} days`;
}

function money(x, currency) {
  return x.toLocaleString('en-US', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** The plan as a section of the confirmation notice. */
export function planSection(p, zone, onCheck) {
  const f = p.forecast;
  const finish = f.finish
    ? h('p', { 'data-plan': 'finish' }, 'Finishes ', h('strong', {}, when(f.finish, zone)), ` — ${span(f.firstSend ?? p.now, f.finish)} after the first send (`, metric('plan.total', f.total), ' to send).')
    : h('p', { 'data-plan': 'finish', class: 'notice error' }, f.expired > 0 ? `Does not finish: ${fmt(f.expired)} would expire at the send-by deadline.` : `Does not finish: ${fmt(f.unscheduled)} have no allowed send time within the horizon.`);
  const waits = f.waitingPast.days1 > 0
    ? h('p', { 'data-plan': 'waits' }, `${fmt(f.waitingPast.days1)} wait more than a day, ${fmt(f.waitingPast.days3)} more than 3 days, ${fmt(f.waitingPast.days7)} more than 7 days (new-contact caps per line, legal hours and the send window).`)
    : null;
  const days = table(
    [{ label: `Day (${zone})` }, { label: 'Sends', num: true }],
    f.perDay.slice(0, 14).map((d) => [d.day, metric(`plan.day.${d.day}`, d.sends)]),
    { name: 'plan-days', empty: 'nothing to send' },
  );
  const more = f.perDay.length > 14 ? h('p', { class: 'muted' }, `… and ${f.perDay.length - 14} more days`) : null;
  const s = p.segments;
  const sms = h(
    'p',
    { 'data-plan': 'segments' },
    `If sent as SMS: ${s.segmentsPerRecipient.toFixed(2)} segments each (up to ${s.maxSegments}); ${fmt(s.ucs2)} of ${fmt(s.sampled)} sampled messages need UCS-2`,
    s.ucs2Characters.length ? h('span', {}, ', forced by ', ...s.ucs2Characters.slice(0, 8).map((c) => h('code', { class: 'char' }, c.char))) : null,
    '.',
  );
  const ch = p.channels;
  const channels = h(
    'p',
    { 'data-plan': 'channels' },
    `Channels: ${fmt(ch.imessage)} iMessage, ${fmt(ch.sms)} without iMessage (SMS if the campaign falls back), ${fmt(ch.unknown)} not checked`,
    ch.oldestAnswer ? ` (answers from ${when(ch.oldestAnswer, zone)} to ${when(ch.newestAnswer, zone)}; older than ${ch.maxAgeHours} h count as not checked).` : '.',
    onCheck && ch.unknown > 0 ? ' ' : null,
    onCheck && ch.unknown > 0 ? h('button', { type: 'button', class: 'secondary', 'data-action': 'check-availability', onclick: (e) => onCheck(e.currentTarget) }, 'Check iMessage availability') : null,
  );
  const cost = p.cost
    ? h('p', { 'data-plan': 'cost' }, `Cost: ${p.cost.total.min === p.cost.total.max ? money(p.cost.total.min, p.cost.currency) : `${money(p.cost.total.min, p.cost.currency)} (all iMessage) to ${money(p.cost.total.max, p.cost.currency)} (all SMS)`}${ch.unknown > 0 ? `; channel not yet checked for ${fmt(ch.unknown)}` : ''}.`)
    : h('p', { 'data-plan': 'cost', class: 'muted' }, 'Cost: no price table is set (BLUECAST_PRICES).');
  const checks = p.checks.length
    ? h('ul', { class: 'plan-checks', 'data-plan': 'checks' }, p.checks.map((c) => h('li', { class: `check-${c.level}`, 'data-check': c.id, 'data-level': c.level }, h('strong', {}, c.level === 'block' ? 'Blocks launch: ' : 'Warning: '), c.message, h('br'), h('span', { class: 'muted' }, `Fix: ${c.fix}`))))
    : h('p', { 'data-plan': 'checks' }, 'Checks: all passed.');
  const seeds = p.seedSends?.length
    ? h('div', { 'data-plan': 'seeds' }, h('p', {}, 'Test sends to the seed list (not counted in the campaign):'), table(
        [{ label: 'Sent' }, { label: 'To' }, { label: 'Row of' }, { label: 'Delivery' }],
        p.seedSends.map((x) => [when(x.sentAt, zone), x.to, x.recipient ?? '-', `${x.status}${x.channel ? ` (${x.channel})` : ''}${x.error ? `: ${x.error}` : ''}`]),
        { name: 'plan-seeds' },
      ))
    : null;
  return h('section', { class: 'plan', 'data-section': 'plan' }, h('h3', {}, 'Launch plan'), finish, waits, checks, days, more, sms, channels, cost, seeds);
}

/** Fetch the plan as of `at` (ISO) and show it in `into`; a failure is said, never blocks the confirmation. */
export async function showPlan(into, campaignId, at, zone) {
  into.replaceChildren(h('p', { class: 'muted' }, 'Planning…'));
  try {
    const p = await api('GET', `campaigns/${campaignId}/plan?now=${encodeURIComponent(at)}`);
    into.replaceChildren(planSection(p, zone, (button) => checkAvailability(button, into, campaignId, at, zone)));
  } catch (err) {
    into.replaceChildren(h('p', { class: 'notice error' }, `The plan could not be computed: ${err.message}`));
  }
}

/** Start the provider's availability check (POST …/availability), follow it, then show the plan again with the split. */
async function checkAvailability(button, into, campaignId, at, zone) {
  button.disabled = true;
  try {
    let state = await api('POST', `campaigns/${campaignId}/availability`, {});
    while (state.state === 'running') {
      button.textContent = `Checking… ${fmt(state.asked)} asked`;
      await new Promise((r) => setTimeout(r, 1000));
      state = await api('GET', `campaigns/${campaignId}/availability`);
    }
    if (state.state === 'failed') throw new Error(state.error);
    await showPlan(into, campaignId, at, zone);
  } catch (err) {
    button.replaceWith(h('span', { class: 'notice error' }, ` The availability check failed: ${err.message}`));
  }
}
