// bluecast dashboard: a small single-page app over the JSON API.
// Every call goes to /ui/api/…, which forwards to /api/… with the token (the
// session cookie stands for it), so the page shows exactly what the API says.
// Everything put on the page goes through textContent / attributes: no HTML
// is ever built from data.

import { inboxView, startUnreadBadge } from './inbox.js';
import { POLL_MS, api, duration, errorBox, fmt, h, keepDraft, kpi, metric, pct, statusBadge, table, when } from './dom.js';
import { definitionCard, importsCard } from './campaign-setup.js';
import { showPlan } from './plan.js';
// ---------------------------------------------------------------- views

function campaignsView() {
  const root = h('section', { class: 'view' }, h('div', { class: 'view-head' }, h('h1', {}, 'Campaigns'), h('a', { class: 'button', href: '#/new' }, 'New campaign')));
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  root.append(body);
  let timer;
  const load = async () => {
    try {
      const { campaigns } = await api('GET', 'reports/campaigns');
      const rows = campaigns.map((c) => [
        h('a', { href: `#/campaigns/${c.id}`, 'data-campaign': c.name }, c.name),
        statusBadge(c.status),
        h(
          'span',
          { class: 'progress', title: c.progress === null ? 'no messages yet' : `${pct(c.progress)} of messages reached an outcome` },
          h('span', { class: 'bar', style: { width: `${Math.round((c.progress ?? 0) * 100)}%` } }),
          h('span', { class: 'label' }, c.progress === null ? '—' : pct(c.progress)),
        ),
        fmt(c.messages),
        fmt(c.sent),
        pct(c.deliveryRate),
        pct(c.replyRate),
        fmt(c.failed),
        fmt(c.unconfirmed),
      ]);
      body.replaceChildren(
        table(
          [
            'Campaign',
            'Status',
            'Progress',
            { label: 'Messages', num: true },
            { label: 'Sent', num: true },
            { label: 'Delivered', num: true },
            { label: 'Replied', num: true },
            { label: 'Failed', num: true },
            { label: 'Unconfirmed', num: true },
          ],
          rows,
          { name: 'campaigns', empty: 'No campaigns yet: create one.' },
        ),
      );
    } catch (err) {
      body.replaceChildren(errorBox(err));
    }
    timer = setTimeout(load, POLL_MS);
  };
  load();
  return { el: root, stop: () => clearTimeout(timer) };
}

function newCampaignView() {
  const field = (label, input, hint) => h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/New_York';
  const form = h(
    'form',
    { class: 'card form', id: 'new-campaign', novalidate: true },
    field('Name', h('input', { name: 'name', required: true, maxlength: 100, autocomplete: 'off', placeholder: 'spring-sale' }), 'letters, digits, . _ -'),
    field('Message', h('textarea', { name: 'message', required: true, rows: 3, placeholder: 'Hi {{first_name|there}}, …' }), '{{column}} placeholders from the CSV, {{column|default}} for a default'),
    field('Variants', h('textarea', { name: 'variants', rows: 2 }), 'optional: other wordings, one per line'),
    field('Sender lines', h('input', { name: 'from', placeholder: '+15551230001, +15551230002' }), 'comma-separated E.164 numbers; empty lets the provider pick'),
    h(
      'fieldset',
      { class: 'field' },
      h('legend', {}, 'SMS fallback'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'fallback', value: 'imessage_unsupported' }), 'when iMessage is unsupported'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'fallback', value: 'imessage_fails' }), 'when iMessage fails'),
    ),
    h(
      'fieldset',
      { class: 'field' },
      h('legend', {}, 'When'),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: 'when', value: 'draft', checked: true }), 'Draft: schedule it after uploading recipients'),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: 'when', value: 'at' }), 'Once at'),
      h('input', { type: 'datetime-local', name: 'at', 'aria-label': 'send time' }),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: 'when', value: 'cron' }), 'Repeat (cron)'),
      h('input', { name: 'cron', placeholder: '0 10 * * 1', 'aria-label': 'cron expression' }),
    ),
    field('Time zone', h('input', { name: 'timezone', value: tz }), 'of the schedule (IANA name)'),
    field('Send window', h('input', { name: 'window', value: '09:00-21:00' }), "in each recipient's local time, or “any”"),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create campaign')),
  );
  const out = h('div', {});
  const forgetDraft = keepDraft(form, 'new-campaign');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const list = (v) => String(v ?? '').split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
    const def = {
      name: String(f.get('name') ?? '').trim(),
      message: String(f.get('message') ?? ''),
      variants: String(f.get('variants') ?? '').split('\n').map((s) => s.trim()).filter(Boolean),
      from: list(f.get('from')),
      fallback: f.getAll('fallback').map(String),
      timezone: String(f.get('timezone') ?? '').trim() || tz,
      window: String(f.get('window') ?? '').trim() || 'any',
    };
    const mode = f.get('when');
    if (mode === 'at') {
      const local = String(f.get('at') ?? '');
      def.at = local ? new Date(local).toISOString() : '';
    }
    if (mode === 'cron') def.cron = String(f.get('cron') ?? '').trim();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const created = await api('POST', 'campaigns', def);
      const id = created.id ?? created.campaign?.id;
      forgetDraft();
      location.hash = `#/campaigns/${id}`;
    } catch (err) {
      out.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return { el: h('section', { class: 'view' }, h('h1', {}, 'New campaign'), out, form), stop() {} };
}


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
    skipped: 'skipped (opted out)',
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

/** "per minute", "per 5 minutes": the width of the timeline's buckets. */
function bucketLabel(tl) {
  const step = tl.minutes.length > 1 ? (tl.minutes[1] - tl.minutes[0]) / 60 : 1;
  return step === 1 ? 'per minute' : step % 60 === 0 ? `per ${step / 60} h` : `per ${step} minutes`;
}

/** The chart in words, for screen readers and for anyone who wants the figures. */
function chartSummary(tl, zone) {
  if (!tl.minutes.length) return 'Nothing sent yet.';
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  let peak = 0;
  tl.sent.forEach((n, i) => { if (n > tl.sent[peak]) peak = i; });
  const at = (sec) => new Date(sec * 1000).toLocaleTimeString(undefined, { timeZone: zone, hour: '2-digit', minute: '2-digit' });
  return `From ${at(tl.minutes[0])} to ${at(tl.minutes[tl.minutes.length - 1])} (${zone}), ${bucketLabel(tl)}: ${fmt(sum(tl.sent))} sent, ${fmt(sum(tl.delivered))} delivered, ${fmt(sum(tl.failed))} failed, ${fmt(sum(tl.replies))} replies; most sent at ${at(tl.minutes[peak])} (${fmt(tl.sent[peak])}).`;
}

class LiveChart {
  constructor(container, summary) {
    this.container = container;
    this.summary = summary;
    this.plot = null;
    this.bucket = null;
  }
  update(tl, zone) {
    this.summary.textContent = chartSummary(tl, zone);
    // A quiet bucket on each side: a campaign that sent within one bucket
    // still gets a line, and the time axis a sensible span.
    const step = tl.minutes.length > 1 ? tl.minutes[1] - tl.minutes[0] : 60;
    const pad = (arr, v) => (arr.length ? [v, ...arr, v] : arr);
    const minutes = tl.minutes.length ? [tl.minutes[0] - step, ...tl.minutes, tl.minutes[tl.minutes.length - 1] + step] : [];
    const data = [minutes, pad(tl.sent, 0), pad(tl.delivered, 0), pad(tl.failed, 0), pad(tl.replies, 0)];
    if (typeof window.uPlot !== 'function') return;
    const width = Math.max(260, this.container.clientWidth - 8);
    // A new bucket width changes the axis label: the chart is rebuilt for it.
    if (this.plot && this.bucket !== bucketLabel(tl)) this.destroy();
    if (!this.plot) {
      this.bucket = bucketLabel(tl);
      const stepped = window.uPlot.paths && window.uPlot.paths.stepped ? window.uPlot.paths.stepped({ align: 1 }) : undefined;
      this.plot = new window.uPlot(
        {
          width,
          height: 240,
          scales: { x: { time: true } },
          // Ticks on whole minutes at least: the data has no finer grain than its buckets.
          axes: [{ incrs: [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800].filter((i) => i >= step) }, { label: `messages ${this.bucket}` }],
          // The legend names the series; the figures are in the summary below (no "--" when the cursor is away).
          legend: { live: false },
          // Steps, not slopes: each bucket's count holds for the bucket (a one-minute send is a block, not a triangle).
          series: [
            {},
            { label: 'Sent', stroke: '#2563eb', width: 3, paths: stepped },
            { label: 'Delivered', stroke: '#16a34a', width: 2, dash: [8, 4], paths: stepped },
            { label: 'Failed', stroke: '#dc2626', width: 2, paths: stepped },
            { label: 'Replies', stroke: '#d97706', width: 2, paths: stepped },
          ],
        },
        data,
        this.container,
      );
      this.onResize = () => this.plot && this.plot.setSize({ width: Math.max(260, this.container.clientWidth - 8), height: 240 });
      window.addEventListener('resize', this.onResize);
    } else {
      this.plot.setData(data);
    }
  }
  destroy() {
    if (this.onResize) window.removeEventListener('resize', this.onResize);
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }
}

function uploadCard(campaignId, onDone) {
  const input = h('input', { type: 'file', name: 'csv', accept: '.csv,text/csv', 'aria-label': 'recipients CSV' });
  const out = h('div', { 'data-section': 'import-result' });
  const button = h('button', { type: 'submit' }, 'Upload');
  const form = h('form', { class: 'upload', id: 'upload-form' }, input, button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = input.files && input.files[0];
    if (!file) {
      out.replaceChildren(h('p', { class: 'notice error' }, 'Choose a CSV file first.'));
      return;
    }
    button.disabled = true;
    out.replaceChildren(h('p', { class: 'muted' }, `Importing ${file.name}…`));
    try {
      const s = await api('POST', `campaigns/${campaignId}/recipients?filename=${encodeURIComponent(file.name)}`, file, 'text/csv');
      const counts = [
        ['Rows', 'import.totalRows', s.totalRows],
        ['Imported', 'import.imported', s.imported],
        ['Duplicates', 'import.duplicates', s.duplicates],
        ['Invalid', 'import.invalid', s.invalid],
        ['Opted out', 'import.optedOut', s.optedOut],
      ];
      const rejected = (s.rejected ?? []).map((r) => [fmt(r.line), r.reason, h('code', {}, r.raw ?? '')]);
      const leftOut = s.invalid + s.duplicates + s.optedOut;
      const download = leftOut
        ? h('p', {}, h('a', { href: `/ui/rejections/${s.importId}`, download: '', 'data-action': 'download-rejections', 'data-import': s.importId }, `Download all ${fmt(leftOut)} rows left out (invalid, duplicates, opted out) as CSV`))
        : null;
      out.replaceChildren(
        h('div', { class: 'kpis small' }, counts.map(([label, key, v]) => kpi(label, key, v))),
        download,
        rejected.length
          ? h('div', {}, h('h3', {}, s.invalid > rejected.length ? `Invalid rows (first ${fmt(rejected.length)} of ${fmt(s.invalid)})` : 'Invalid rows'), table([{ label: 'Line', num: true }, 'Reason', 'Row'], rejected, { name: 'rejected' }))
          : h('p', { class: 'muted' }, 'No invalid rows.'),
      );
      onDone();
    } catch (err) {
      out.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'card' }, h('h2', {}, 'Recipients'), h('p', { class: 'muted' }, 'A CSV with a phone column; other columns become template variables.'), form, out);
}

/**
 * Scheduling in the campaign's own time zone: the input is a wall-clock time
 * there (the server converts it), never the browser's. Review first (a dry
 * run that says what will happen), then confirm. A scheduled campaign that has
 * not started can be rescheduled or unscheduled.
 */
function scheduleCard(c, onDone) {
  const zone = c.timezone;
  const scheduled = c.status === 'scheduled' && !c.cronExpression;
  const fieldId = `schedule-local-${c.id}`;
  const errId = `${fieldId}-error`;
  const at = h('input', { type: 'datetime-local', name: 'local', id: fieldId, 'aria-describedby': errId });
  const now = h('input', { type: 'checkbox', name: 'now', id: `${fieldId}-now` });
  const fieldError = h('p', { class: 'field-error', id: errId });
  const out = h('div', { 'data-section': 'schedule-result' });
  const verb = scheduled ? 'reschedule' : 'schedule';
  const review = h('button', { type: 'submit', name: 'review' }, scheduled ? 'Review new time…' : 'Review…');
  const form = h(
    'form',
    { class: 'schedule', id: 'schedule-form', novalidate: true },
    h('label', { for: fieldId }, `Send at (time in ${zone})`),
    at,
    fieldError,
    scheduled ? null : h('label', { class: 'check' }, now, ' Send now instead'),
    review,
  );
  const showErrors = (err) => {
    fieldError.textContent = '';
    out.replaceChildren();
    const onField = (err.issues ?? []).filter((i) => i.path === 'local' || i.path === 'at');
    if (onField.length) {
      fieldError.textContent = onField.map((i) => i.message).join('; ');
      at.setAttribute('aria-invalid', 'true');
      at.focus();
    } else out.replaceChildren(errorBox(err));
  };
  const body = () => (now.checked ? { now: true } : at.value ? { local: at.value } : {});
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    at.removeAttribute('aria-invalid');
    fieldError.textContent = '';
    try {
      const plan = await api('POST', `campaigns/${c.id}/${verb}`, { ...body(), dryRun: true });
      const confirm = h('button', { type: 'button', 'data-action': 'confirm-schedule' }, plan.sendNow ? 'Confirm and send now' : 'Confirm and schedule');
      const back = h('button', { type: 'button', class: 'secondary' }, 'Change');
      back.addEventListener('click', () => { out.replaceChildren(); at.focus(); });
      // A "block" check refuses the launch (409) unless the operator overrides it, knowingly.
      const blocks = plan.blocks ?? [];
      const override = h('input', { type: 'checkbox', name: 'ignore-blocks', 'data-action': 'ignore-blocks' });
      const overrideBox = blocks.length
        ? h('p', { class: 'notice error', 'data-section': 'blocks' },
          h('strong', {}, `${blocks.length} check${blocks.length === 1 ? '' : 's'} block${blocks.length === 1 ? 's' : ''} this launch: `), blocks.map((b) => b.id).join(', '), '. Fix ', blocks.length === 1 ? 'it' : 'them', ' first, or ',
          h('label', { class: 'check' }, override, ' launch anyway (the override is logged)'))
        : null;
      confirm.disabled = blocks.length > 0;
      override.addEventListener('change', () => { confirm.disabled = !override.checked; });
      confirm.addEventListener('click', async () => {
        confirm.disabled = true;
        try {
          const done = await api('POST', `campaigns/${c.id}/${verb}`, { ...body(), ...(override.checked ? { ignoreBlocks: true } : {}) });
          // Said at the page level: this card is rebuilt for the new status.
          onDone(done.sendNow ? 'Sending now.' : `Scheduled for ${done.local}.`);
        } catch (err) {
          confirm.disabled = blocks.length > 0 && !override.checked;
          showErrors(err);
        }
      });
      const planBox = h('div', { 'data-section': 'plan-box' });
      out.replaceChildren(h('div', { class: 'notice confirm', 'data-section': 'confirm' }, h('p', { 'data-confirm': 'summary' }, `${plan.summary}.`), planBox, overrideBox, h('div', { class: 'actions' }, confirm, back)));
      (blocks.length ? override : confirm).focus();
      await showPlan(planBox, c.id, plan.scheduleAt, zone);
    } catch (err) {
      showErrors(err);
    }
  });
  const parts = [h('h2', {}, 'Schedule')];
  if (scheduled && c.scheduleAt) {
    const unschedule = h('button', { type: 'button', class: 'secondary', 'data-action': 'unschedule' }, 'Unschedule (back to draft)');
    unschedule.addEventListener('click', async () => {
      try {
        await api('POST', `campaigns/${c.id}/unschedule`, {});
        onDone('Unscheduled: the campaign is a draft again.');
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    });
    parts.push(h('p', { 'data-schedule': 'current' }, `Scheduled for ${when(c.scheduleAt, zone)}.`), unschedule);
  }
  parts.push(form, out);
  return h('div', { class: 'card', 'data-section': 'schedule' }, ...parts);
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
  root.append(head, updated, notice, defBox, kpis, h('div', { class: 'card' }, h('h2', {}, 'Sends, deliveries, failures and replies over time'), chartBox, chartText), detail, next, side, setup);
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
    if (d) defBox.replaceChildren(definitionCard(d)), setup.replaceChildren(importsCard(d));
    const loaded = recipients === null ? '' : `${fmt(recipients)} recipient${recipients === 1 ? '' : 's'} loaded. `;
    const step =
      c.status === 'draft'
        ? recipients === 0 ? 'Next step: upload a recipients CSV.' : 'Next step: schedule the send (or upload more recipients).'
        : c.status === 'scheduled' ? 'Next step: wait for the send time, or reschedule.'
        : ['running', 'paused'].includes(c.status) ? 'Sending: watch the progress below.'
        : 'Done: review the report below.';
    if (c.status === 'blocked') {
      // The provider refused the account: nothing failed, the rest waits for the fix and a resume.
      const fix = blocked?.url ? h('a', { href: blocked.url, target: '_blank', rel: 'noopener' }, blocked.url) : 'the provider account';
      next.replaceChildren(
        h('p', { class: 'notice error blocked-banner', role: 'alert' }, `Blocked by the provider: ${blocked?.reason ?? 'the account was refused'}. `,
          'Remaining messages stay queued; fix ', fix, ', then press Resume.'),
      );
      return;
    }
    next.replaceChildren(h('p', { class: 'notice next-step', 'data-recipients': recipients ?? '' }, loaded, step));
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

  const render = (report, timeline) => {
    const c = report.campaign;
    const schedule = c.cronExpression ? `cron “${c.cronExpression}” (${c.timezone})` : c.scheduleAt ? `at ${when(c.scheduleAt, c.timezone)}` : 'not scheduled';
    head.replaceChildren(
      h('div', {}, h('h1', { 'data-campaign-name': c.name }, c.name), h('p', { class: 'muted' }, statusBadge(c.status), ' ', schedule)),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', 'data-action': 'pause', onclick: act('pause'), disabled: !['scheduled', 'running'].includes(c.status) }, 'Pause'),
        h('button', { type: 'button', 'data-action': 'resume', onclick: act('resume'), disabled: !['paused', 'blocked'].includes(c.status) }, 'Resume'),
        h('button', { type: 'button', class: 'danger', 'data-action': 'cancel', onclick: act('cancel'), disabled: ['completed', 'cancelled'].includes(c.status) }, 'Cancel'),
        h('button', { type: 'button', 'data-action': 'retry-failed', onclick: retry(false, report.totals.failed), disabled: report.totals.failed === 0 }, `Retry ${fmt(report.totals.failed)} failed`),
        report.totals.unconfirmed > 0
          ? h('button', { type: 'button', class: 'secondary', 'data-action': 'retry-unconfirmed', onclick: retry(true, report.totals.unconfirmed) }, `Also resend ${fmt(report.totals.unconfirmed)} unconfirmed…`)
          : null,
        h('a', { class: 'button secondary', href: `/ui/export/${c.id}`, download: '', 'data-action': 'export' }, 'Export CSV'),
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
      h('div', { class: 'card' }, h('h2', {}, 'Failure reasons'), table([{ label: 'Count', num: true }, 'Cause', 'Example'], reasons, { name: 'failures', empty: 'no failures' })),
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
    if (before && setup.nextSibling !== kpis) root.insertBefore(next, kpis), root.insertBefore(side, kpis), root.insertBefore(setup, kpis);
    if (!before && setup.nextSibling === kpis) root.append(next, side, setup);
    if (sideFor !== `${c.id}:${c.status}:${c.scheduleAt}`) {
      sideFor = `${c.id}:${c.status}:${c.scheduleAt}`;
      showNextStep(c);
      side.replaceChildren(...[['completed', 'cancelled'].includes(c.status) ? null : uploadCard(c.id, () => { showNextStep(c); refresh(); }), ['draft', 'scheduled'].includes(c.status) && !c.cronExpression ? scheduleCard(c, (msg) => { notice.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, msg)); refresh(); }) : null].filter(Boolean));
    }
  };

  async function refresh() {
    clearTimeout(timer);
    try {
      const [report, timeline] = await Promise.all([api('GET', `campaigns/${id}/report`), api('GET', `campaigns/${id}/report/timeline`)]);
      if (stopped) return;
      render(report, timeline);
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
