// The campaigns list: schedule in each campaign's zone, search by name,
// filter by status, sort, and archived campaigns only when asked for. The
// choices are kept for the tab (sessionStorage), so coming back from a
// campaign finds the list as it was left.

import { POLL_MS, api, errorBox, fmt, h, pct, statusBadge, table, when } from './dom.js';

const STATUSES = ['draft', 'scheduled', 'running', 'paused', 'blocked', 'completed', 'cancelled'];
const SORTS = {
  newest: ['Newest first', (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id],
  name: ['Name (A–Z)', (a, b) => a.name.localeCompare(b.name)],
  next: ['Next send first', (a, b) => (a.scheduleAt ?? '9999').localeCompare(b.scheduleAt ?? '9999') || b.id - a.id],
  progress: ['Least progress first', (a, b) => (a.progress ?? -1) - (b.progress ?? -1) || b.id - a.id],
  failed: ['Most failed first', (a, b) => b.failed - a.failed || b.id - a.id],
};
const STORE = 'bluecast.list';

function loadChoices() {
  try {
    return { q: '', status: '', sort: 'newest', archived: false, ...JSON.parse(sessionStorage.getItem(STORE) ?? '{}') };
  } catch {
    return { q: '', status: '', sort: 'newest', archived: false };
  }
}

/** When it sends, in its own zone: a time, a repeat, or why not yet. */
export function scheduleText(c) {
  if (c.cronExpression) return `repeats: “${c.cronExpression}” (${c.timezone})`;
  if (c.scheduleAt) return when(c.scheduleAt, c.timezone, true);
  return c.status === 'draft' ? 'not scheduled' : '—';
}

export function campaignsView() {
  const choices = loadChoices();
  const search = h('input', { type: 'search', name: 'q', id: 'list-q', placeholder: 'name contains…', autocomplete: 'off' });
  search.value = choices.q;
  const status = h('select', { name: 'status', id: 'list-status' }, h('option', { value: '' }, 'any status'), STATUSES.map((s) => h('option', { value: s }, s)));
  status.value = choices.status;
  const sort = h('select', { name: 'sort', id: 'list-sort' }, Object.entries(SORTS).map(([k, [label]]) => h('option', { value: k }, label)));
  sort.value = choices.sort in SORTS ? choices.sort : 'newest';
  const archived = h('input', { type: 'checkbox', name: 'archived', id: 'list-archived', checked: choices.archived });
  const controls = h(
    'form',
    { class: 'list-controls', role: 'search', 'data-section': 'list-controls' },
    h('label', { for: 'list-q' }, 'Search', search),
    h('label', { for: 'list-status' }, 'Status', status),
    h('label', { for: 'list-sort' }, 'Sort', sort),
    h('label', { class: 'check', for: 'list-archived' }, archived, 'Show archived'),
  );
  controls.addEventListener('submit', (ev) => ev.preventDefault());
  const count = h('p', { class: 'muted', 'data-section': 'list-count' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const root = h('section', { class: 'view' }, h('div', { class: 'view-head' }, h('h1', {}, 'Campaigns'), h('a', { class: 'button', href: '#/new' }, 'New campaign')), controls, count, body);
  let all = null;
  let timer;

  const draw = () => {
    if (!all) return;
    const q = search.value.trim().toLowerCase();
    const shown = all.filter((c) => (!q || c.name.toLowerCase().includes(q)) && (!status.value || c.status === status.value)).sort(SORTS[sort.value][1]);
    count.textContent = shown.length === all.length ? `${fmt(all.length)} campaign${all.length === 1 ? '' : 's'}` : `${fmt(shown.length)} of ${fmt(all.length)} campaigns shown`;
    const rows = shown.map((c) => [
      h('span', {}, h('a', { href: `#/campaigns/${c.id}`, 'data-campaign': c.name }, c.name), c.archivedAt ? h('span', { class: 'badge', 'data-archived': '' }, ' archived') : null),
      statusBadge(c.status),
      h('span', { 'data-schedule': c.id }, scheduleText(c)),
      fmt(c.recipients),
      c.messages === 0
        ? h('span', { class: 'muted' }, 'not sent')
        : h(
            'span',
            { class: 'progress', title: `${pct(c.progress)} of messages reached an outcome` },
            h('span', { class: 'bar', style: { width: `${Math.round((c.progress ?? 0) * 100)}%` } }),
            h('span', { class: 'label' }, pct(c.progress)),
          ),
      fmt(c.sent),
      pct(c.deliveryRate),
      pct(c.replyRate),
      fmt(c.failed),
      fmt(c.unconfirmed),
    ]);
    const empty = all.length === 0 ? 'No campaigns yet: create one.' : 'No campaign matches: change the search or the filter.';
    body.replaceChildren(
      table(
        ['Campaign', 'Status', 'Send time', { label: 'Recipients', num: true }, 'Progress', { label: 'Sent', num: true }, { label: 'Delivered', num: true }, { label: 'Replied', num: true }, { label: 'Failed', num: true }, { label: 'Unconfirmed', num: true }],
        rows,
        { name: 'campaigns', empty },
      ),
    );
  };
  const load = async () => {
    clearTimeout(timer);
    try {
      ({ campaigns: all } = await api('GET', `reports/campaigns${archived.checked ? '?archived=true' : ''}`));
      draw();
    } catch (err) {
      body.replaceChildren(errorBox(err));
    }
    timer = setTimeout(load, POLL_MS);
  };
  const remember = () => sessionStorage.setItem(STORE, JSON.stringify({ q: search.value, status: status.value, sort: sort.value, archived: archived.checked }));
  for (const el of [search, status, sort]) el.addEventListener('input', () => (remember(), draw()));
  archived.addEventListener('change', () => (remember(), load()));
  load();
  return { el: root, stop: () => clearTimeout(timer) };
}
