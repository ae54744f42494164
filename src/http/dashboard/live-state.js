// "Why waiting": how many of a campaign's messages are not out yet, and why
// (send window until HH:MM recipient time, caps, pacing, paused, blocked by
// the provider, a legal rule…), with until when. Data: GET
// /api/campaigns/:id/report/waiting. Redrawn on each refresh without
// aria-live: the figures tick; nothing here is an alert.

import { fmt, h, metric, table, when } from './dom.js';

const WHY = {
  paused: 'Paused',
  blocked: 'Blocked by the provider',
  scheduled: 'Waiting for the send time',
  rule: 'Held by a rule',
  window: 'Outside the send window',
  caps: 'Line caps',
  pacing: 'Pacing',
  due: 'Next in line (pacing)',
  sending: 'Being sent',
  claimed: 'Next in line (pacing)',
  unavailable: 'Provider unavailable',
  retry: 'Another try after a failure',
  later: 'Next try later',
};

/** "Paused — Paused: 6 messages…" would say it twice: an explanation that starts with its label keeps the label bold. */
function whyCell(label, explanation) {
  if (explanation.startsWith(label)) return h('span', {}, h('strong', {}, label), explanation.slice(label.length));
  return h('span', {}, h('strong', {}, label), ' — ', explanation);
}

export function waitingCard() {
  const summary = h('p', { 'data-section': 'waiting-summary' });
  const body = h('div', {});
  const el = h('div', { class: 'card wide', 'data-section': 'waiting', hidden: true }, h('h2', {}, 'Why messages are waiting'), summary, body);
  return {
    el,
    /** `state` is the API's answer, `zone` the campaign's time zone (times are shown in it). */
    update(state, zone) {
      el.hidden = !state || (state.unsent === 0 && state.reasons.length === 0);
      if (el.hidden) return;
      summary.replaceChildren(
        state.unsent === 0 ? 'Nothing is queued yet.' : h('span', {}, metric('waiting.unsent', state.unsent), ` message${state.unsent === 1 ? '' : 's'} not sent yet:`),
      );
      const rows = state.reasons.map((r) => [
        h('span', { 'data-waiting': r.reason, 'data-messages': r.messages }, fmt(r.messages)),
        whyCell(r.rule ? `${WHY.rule}: ${r.rule}` : WHY[r.reason] ?? r.reason, r.explanation),
        r.from && r.until && r.from !== r.until ? `${when(r.from, zone, true)} – ${when(r.until, zone, true)}` : when(r.until ?? r.from, zone, true),
      ]);
      body.replaceChildren(table([{ label: 'Messages', num: true }, 'Why', `Until (${zone})`], rows, { name: 'waiting', empty: 'nothing waiting' }));
    },
  };
}
