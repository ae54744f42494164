// bluecast dashboard: a small single-page app over the JSON API.
// Every call goes to /ui/api/…, which forwards to /api/… with the token (the
// session cookie stands for it), so the page shows exactly what the API says.
// Everything put on the page goes through textContent / attributes: no HTML
// is ever built from data.

import { inboxView, startUnreadBadge } from './inbox.js';
import { POLL_MS, api, duration, errorBox, fmt, h, kpi, metric, pct, statusBadge, table, when } from './dom.js';
import { definitionCard, importsCard } from './campaign-setup.js';
import { newCampaignView } from './campaign-form.js';
import { campaignsView } from './campaign-list.js';
import { manageCard } from './campaign-manage.js';
import { LiveChart } from './chart.js';
import { scheduleCard, uploadCard } from './send-forms.js';
import { waitingCard } from './live-state.js';
import { recipientLookupCard } from './recipient-lookup.js';
import { runPicker } from './run-picker.js';

// ---------------------------------------------------------------- the campaign page
function funnel(report) {
  const t = report.totals;
  const steps = [
    ['Messages', 'totals.messages', t.messages],
    ['Sent', 'totals.sent', t.sent],
    ['Delivered', 'totals.delivered', t.delivered],
    ['Read', 'totals.read', t.read],
    ['Replied', 'totals.repliers', t.repliers],
  ];
  const top = Math.max(1, t.messages);
  return h(
    'div',
    { class: 'funnel', 'data-section': 'funnel' },
    steps.map(([label, key, n]) =>
      h('div', { class: 'funnel-step' }, h('span', { class: 'funnel-label' }, label), h('span', { class: 'funnel-bar' }, h('span', { style: { width: `${Math.max(0.5, (n / top) * 100)}%` } })), metric(key, n)),
    ),
  );
}

function statusTable(report) {
  const labels = {
    queued: 'queued',
    sending: 'sending',
    sent: 'sent (awaiting delivery)',
    delivered: 'delivered',
    read: 'read',
    failed: 'failed',
    unconfirmed: 'unconfirmed (may have been delivered)',
    cancelled: 'cancelled (never sent)',
    skipped: 'skipped (opted out, or held back by a cap)',
    expired: 'expired (its send-by time passed)',
  };
  const rows = Object.entries(labels).map(([k, label]) => [label, metric(`byStatus.${k}`, report.byStatus[k])]);
  rows.push(['sent as SMS fallback', metric('totals.fallback', report.totals.fallback)]);
  return table(['Status', { label: 'Messages', num: true }], rows, { name: 'status' });
}

function ratesTable(report) {
  const names = { progress: 'Progress', delivery: 'Delivery', failure: 'Failure', unconfirmed: 'Unconfirmed', read: 'Read', fallback: 'SMS fallback', reply: 'Reply', optOut: 'Opt-out', spamFlagged: 'Spam-flagged' };
  return table(
    ['Rate', { label: 'Value', num: true }, 'Definition'],
    Object.entries(names).map(([k, label]) => [label, metric(`rates.${k}`, report.rates[k], pct(report.rates[k])), report.rateDefinitions[k] ?? '']),
    { name: 'rates' },
  );
}

/** The provider's words first, the HTTP status after them: "provider HTTP 403: Forbidden: X" reads "X (HTTP 403)". */
function operatorReason(reason) {
  const m = reason ? /^provider HTTP (\d+): (?:[A-Z][A-Za-z ]*: )?(.+)$/.exec(reason) : null;
  return m ? `${m[2]} (HTTP ${m[1]})` : reason;
}

function campaignView(id) {
  const root = h('section', { class: 'view' });
  const head = h('div', { class: 'view-head' }, h('h1', {}, 'Campaign'));
  const notice = h('div', {});
  // When the figures were last read: a stale page says so instead of looking live.
  const updated = h('p', { class: 'muted updated', 'data-section': 'last-updated' });
  const kpis = h('div', { class: 'kpis' });
  const chartBox = h('div', { class: 'chart', 'data-section': 'chart', 'aria-hidden': 'true' });
  const chartText = h('p', { class: 'muted chart-summary', 'data-section': 'chart-summary' });
  const detail = h('div', { class: 'grid' });
  const side = h('div', { class: 'grid' });
  const next = h('div', { 'data-section': 'next-step' });
  const setup = h('div', { class: 'grid', 'data-section': 'setup' });
  // The campaign itself comes first on its page, whatever its status.
  const defBox = h('div', { class: 'grid' });
  // What stops the campaign (blocked by the provider) goes first, above everything it explains.
  const alertBox = h('div', { 'data-section': 'alert' });
  // The report, hidden while there is nothing in it (a draft, or scheduled and not started): the next step instead.
  const waiting = waitingCard();
  // A cron campaign's report: all runs, or the one picked.
  let runId = null;
  const picker = runPicker((run) => {
    runId = run;
    refresh();
  });
  // Built once the campaign's zone is known, and kept: a lookup's answer survives the refreshes.
  const lookupBox = h('div', {});
  const reportBox = h('div', { 'data-section': 'report' }, waiting.el, picker.el, kpis, h('div', { class: 'card' }, h('h2', {}, 'Sends, deliveries, failures and replies over time'), chartBox, chartText), detail, lookupBox);
  root.append(head, alertBox, updated, notice, defBox, reportBox, next, side, setup);
  // The campaign itself (definition, imports) and what to do now (upload → schedule → watch → review).
  const showNextStep = async (c) => {
    let d = null;
    try {
      d = await api('GET', `campaigns/${c.id}`);
    } catch (err) {
      setup.replaceChildren(errorBox(err));
    }
    const recipients = d ? d.recipients.total : null;
    const blocked = d ? d.blocked : null;
    const changed = (msg) => {
      notice.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, msg));
      sideFor = null;
      refresh();
    };
    if (d) defBox.replaceChildren(manageCard(d, changed), definitionCard(d)), setup.replaceChildren(importsCard(d));
    // The count itself is in the imports card just below: said once.
    const step =
      c.status === 'draft'
        ? recipients === 0 ? 'Next step: upload a recipients CSV.' : 'Next step: schedule the send (or upload more recipients).'
        : c.status === 'scheduled' ? 'Next step: wait for the send time, or reschedule.'
        : c.status === 'paused' ? 'Paused: nothing more goes out until you press Resume.'
        : c.status === 'running' ? 'Sending: watch the progress below.'
        : 'Done: review the report below.';
    if (c.status === 'blocked') {
      // The provider refused the account: nothing failed, the rest waits for the fix and a resume.
      const fix = blocked?.url ? h('a', { href: blocked.url, target: '_blank', rel: 'noopener' }, blocked.url) : 'the provider account';
      alertBox.replaceChildren(
        h('p', { class: 'notice error blocked-banner', role: 'alert' }, `Blocked by the provider: ${operatorReason(blocked?.reason) ?? 'the account was refused'}. `,
          'Nothing failed: the remaining messages stay queued. Fix ', fix, ', then press Resume.'),
      );
      next.replaceChildren();
      return;
    }
    alertBox.replaceChildren();
    next.replaceChildren(h('p', { class: 'notice next-step', 'data-recipients': recipients ?? '' }, step));
  };
  const chart = new LiveChart(chartBox, chartText);
  let timer;
  let stopped = false;
  let sideFor = null;

  const act = (verb) => async () => {
    try {
      await api('POST', `campaigns/${id}/${verb}`, {});
      notice.replaceChildren(h('p', { class: 'notice ok' }, `Campaign ${verb === 'cancel' ? 'cancelled' : `${verb}d`}.`));
    } catch (err) {
      notice.replaceChildren(errorBox(err));
    }
    refresh();
  };

  // The CLI's retry-failed; unconfirmed messages only after a warning (the person may already have them).
  const retry = (includeUnconfirmed, n) => async () => {
    if (includeUnconfirmed && !window.confirm(`The carrier never confirmed these ${n} messages; the people may already have them. Resend them anyway?`)) return;
    try {
      const r = await api('POST', `campaigns/${id}/retry-failed`, includeUnconfirmed ? { includeUnconfirmed: true } : {});
      notice.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, `Re-queued ${fmt(r.requeued)} message${r.requeued === 1 ? '' : 's'}.`));
    } catch (err) {
      notice.replaceChildren(errorBox(err));
    }
    refresh();
  };

  // Signed events we kept although odd: this campaign's, and every campaign's (some name none we can tell).
  const webhookEventsCard = (w) =>
    h(
      'div',
      { class: 'card' },
      h('h2', {}, 'Webhook events to look at'),
      table(
        ['Events', { label: 'This campaign', num: true }, { label: 'All', num: true }],
        [
          ['Off their documented shape (stored, processed leniently)', metric('webhooks.offShape', w.offShape), fmt(w.allOffShape)],
          ['Dead-lettered (bluecast webhooks dead-letters)', metric('webhooks.deadLettered', w.deadLettered), fmt(w.allDeadLettered)],
        ],
        { name: 'webhook-events' },
      ),
    );

  const render = (report, timeline, live) => {
    const c = report.campaign;
    waiting.update(live, c.timezone);
    picker.update(report, runId);
    if (!lookupBox.firstChild) lookupBox.append(recipientLookupCard(c.id, c.timezone));
    // Before the chart is drawn: a hidden chart would be drawn at no width.
    reportBox.hidden = ['draft', 'scheduled'].includes(c.status) && report.totals.messages === 0;
    const schedule = c.cronExpression ? `cron “${c.cronExpression}” (${c.timezone})` : c.scheduleAt ? `at ${when(c.scheduleAt, c.timezone)}` : 'not scheduled';
    head.replaceChildren(
      h('div', {}, h('h1', { 'data-campaign-name': c.name }, c.name), h('p', { class: 'muted' }, statusBadge(c.status), ' ', schedule)),
      h(
        'div',
        { class: 'actions' },
        // A draft cannot be paused or resumed; buttons with nothing to act on are left out (no "Retry 0 failed").
        c.status === 'draft' ? null : h('button', { type: 'button', 'data-action': 'pause', onclick: act('pause'), disabled: !['scheduled', 'running'].includes(c.status) }, 'Pause'),
        c.status === 'draft' ? null : h('button', { type: 'button', 'data-action': 'resume', onclick: act('resume'), disabled: !['paused', 'blocked'].includes(c.status) }, 'Resume'),
        h('button', { type: 'button', class: 'danger', 'data-action': 'cancel', onclick: act('cancel'), disabled: ['completed', 'cancelled'].includes(c.status) }, 'Cancel'),
        report.totals.failed > 0 ? h('button', { type: 'button', 'data-action': 'retry-failed', onclick: retry(false, report.totals.failed) }, `Retry ${fmt(report.totals.failed)} failed`) : null,
        report.totals.unconfirmed > 0
          ? h('button', { type: 'button', class: 'secondary', 'data-action': 'retry-unconfirmed', onclick: retry(true, report.totals.unconfirmed) }, `Also resend ${fmt(report.totals.unconfirmed)} unconfirmed…`)
          : null,
        report.totals.messages > 0 ? h('a', { class: 'button secondary', href: `/ui/export/${c.id}${runId === null ? '' : `?run=${runId}`}`, download: '', 'data-action': 'export' }, 'Export CSV') : null,
      ),
    );
    const t = report.totals;
    const lat = report.timing.deliveryLatencyMs;
    kpis.replaceChildren(
      kpi('Messages', 'totals.messages', t.messages, undefined, `${pct(report.rates.progress)} reached an outcome`),
      kpi('Sent', 'totals.sent', t.sent),
      kpi('Delivered', 'outcomes.delivered', report.outcomes.delivered, undefined, `${pct(report.rates.delivery)} of ${fmt(report.outcomes.deliveryOutcomes)} with an outcome`),
      kpi('Read', 'totals.read', t.read, undefined, pct(report.rates.read)),
      kpi('Failed', 'totals.failed', t.failed, undefined, pct(report.rates.failure)),
      kpi('Unconfirmed', 'totals.unconfirmed', t.unconfirmed, undefined, 'carrier never confirmed; may have been delivered'),
      kpi('Replies', 'totals.replies', t.replies, undefined, `${fmt(t.repliers)} recipients`),
      kpi('Opt-outs', 'totals.optOuts', t.optOuts, undefined, pct(report.rates.optOut)),
      kpi('p50 to delivery', 'timing.p50', lat.p50, duration(lat.p50), `p95 ${duration(lat.p95)}`),
    );
    if (timeline) chart.update(timeline, c.timezone);

    const lines = report.lines.map((l) => [l.line ?? '(none)', metric('line.sent', l.sent), fmt(l.delivered), metric('line.failed', l.failed), fmt(l.unconfirmed), fmt(l.fallback), fmt(l.spamFlags), fmt(l.newContactsToday)]);
    const reasons = report.failureReasons.map((f) => [metric('reason.count', f.count), f.cause, h('span', { class: 'muted' }, f.example === f.cause ? '' : f.example)]);
    const replies = report.recentReplies.map((r) => [when(r.at, c.timezone, true), r.from, h('span', { class: 'reply-body' }, r.body), r.optOut ? h('span', { class: 'badge status-cancelled' }, 'opt-out') : '']);
    const tm = report.timing;
    const cards = [
      h('div', { class: 'card' }, h('h2', {}, 'Funnel'), funnel(report)),
      h('div', { class: 'card' }, h('h2', {}, 'By status'), statusTable(report)),
      h('div', { class: 'card' }, h('h2', {}, 'Rates'), ratesTable(report)),
      h(
        'div',
        { class: 'card' },
        h('h2', {}, 'Timing'),
        table(
          ['Measure', { label: 'Value', num: true }],
          [
            ['Started', tm.startedAt ? when(tm.startedAt, c.timezone) : 'not yet'],
            ['Completed', tm.completedAt ? when(tm.completedAt, c.timezone) : 'not yet'],
            ['First send', when(tm.firstSentAt, c.timezone)],
            ['Last send', when(tm.lastSentAt, c.timezone)],
            ['Messages/minute', tm.messagesPerMinute === null ? '—' : tm.messagesPerMinute.toFixed(1)],
            ['Time to delivery p50', duration(lat.p50)],
            ['Time to delivery p95', duration(lat.p95)],
          ],
          { name: 'timing' },
        ),
      ),
      h('div', { class: 'card wide' }, h('h2', {}, 'Sender lines'), table(['Line', { label: 'Sent', num: true }, { label: 'Delivered', num: true }, { label: 'Failed', num: true }, { label: 'Unconfirmed', num: true }, { label: 'SMS', num: true }, { label: 'Spam flags', num: true }, { label: 'New today', num: true }], lines, { name: 'lines', empty: 'no line used yet' })),
      h('div', { class: 'card wide' }, h('h2', {}, 'Failure reasons'), table([{ label: 'Count', num: true }, 'Cause', 'Example'], reasons, { name: 'failures', empty: 'no failures' })),
      webhookEventsCard(report.webhookEvents),
      h('div', { class: 'card wide' }, h('h2', {}, 'Latest replies'), table([`When (${c.timezone})`, 'From', 'Text', ''], replies, { name: 'replies', empty: 'no replies yet' })),
      report.runs.length > 1 || c.cronExpression
        ? h(
            'div',
            { class: 'card wide' },
            h('h2', {}, 'Runs'),
            table(
              ['Run', 'Scheduled for', 'Status', { label: 'Messages', num: true }, { label: 'Sent', num: true }, { label: 'Delivered', num: true }, { label: 'Failed', num: true }, { label: 'Unconfirmed', num: true }, { label: 'Replies', num: true }],
              report.runs.map((r) => [`#${r.id}`, when(r.scheduledFor, c.timezone, true), statusBadge(r.status), fmt(r.messages), fmt(r.sent), fmt(r.delivered), fmt(r.failed), fmt(r.unconfirmed), fmt(r.replies)]),
              { name: 'runs' },
            ),
          )
        : null,
    ];
    detail.replaceChildren(...cards.filter(Boolean));
    // The upload and schedule forms keep their state across refreshes: built once per campaign.
    // Rebuilt when the status or the time changes (a scheduled campaign gets reschedule/unschedule).
    // Next step first: before anything is sent, loading recipients and
    // scheduling come before the (empty) report.
    const before = ['draft', 'scheduled'].includes(c.status);
    // The next step sits above the report in every state (it says what the report below is for).
    // Moved only when out of place: moving a form would take the focus from it.
    if (before && !(next.nextSibling === side && setup.nextSibling === reportBox)) root.insertBefore(next, reportBox), root.insertBefore(side, reportBox), root.insertBefore(setup, reportBox);
    if (!before && !(next.nextSibling === reportBox && root.lastChild === setup)) root.insertBefore(next, reportBox), root.append(side, setup);

    if (sideFor !== `${c.id}:${c.status}:${c.scheduleAt}`) {
      sideFor = `${c.id}:${c.status}:${c.scheduleAt}`;
      showNextStep(c);
      side.replaceChildren(...[['completed', 'cancelled'].includes(c.status) ? null : uploadCard(c.id, () => { showNextStep(c); refresh(); }), ['draft', 'scheduled'].includes(c.status) && !c.cronExpression ? scheduleCard(c, (msg) => { notice.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, msg)); refresh(); }) : null].filter(Boolean));
    }
  };

  const runQuery = () => (runId === null ? '' : `?run=${runId}`);
  async function refresh() {
    clearTimeout(timer);
    try {
      const [report, timeline, live] = await Promise.all([api('GET', `campaigns/${id}/report${runQuery()}`), api('GET', `campaigns/${id}/report/timeline${runQuery()}`), api('GET', `campaigns/${id}/report/waiting`)]);
      if (stopped) return;
      render(report, timeline, live);
      root.dataset.generatedAt = report.generatedAt;
      updated.textContent = `Last updated ${new Date(report.generatedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' })} (refreshes every ${POLL_MS / 1000} s)`;
    } catch (err) {
      if (stopped) return;
      notice.replaceChildren(errorBox(err));
    }
    if (!stopped) timer = setTimeout(refresh, POLL_MS);
  }
  refresh();
  return {
    el: root,
    stop() {
      stopped = true;
      clearTimeout(timer);
      chart.destroy();
    },
  };
}

// ---------------------------------------------------------------- router

let current = null;
function route() {
  // Back where the operator was when the session expired.
  const back = sessionStorage.getItem('bluecast.return');
  if (back !== null) {
    sessionStorage.removeItem('bluecast.return');
    if (back && back !== location.hash) {
      location.hash = back;
      return;
    }
  }
  if (current) current.stop();
  const hash = location.hash || '#/';
  const m = /^#\/campaigns\/([^/]+)$/.exec(hash);
  current = hash.startsWith('#/inbox') ? inboxView(hash) : m ? campaignView(decodeURIComponent(m[1])) : hash === '#/new' ? newCampaignView() : campaignsView();
  document.getElementById('app').replaceChildren(current.el);
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.getAttribute('href') === hash || (a.id === 'inbox-link' && hash.startsWith('#/inbox')));
}
window.addEventListener('hashchange', route);
route();
startUnreadBadge(document.getElementById('inbox-link'));
