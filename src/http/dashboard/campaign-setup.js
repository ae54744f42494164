// The campaign itself, at the top of its page: what it sends, from which
// lines, when and how (its definition), and what was loaded (the imports,
// each with a download of every row left out). Data: GET /api/campaigns/:id.

import { fmt, h, table, when } from './dom.js';

const row = (label, ...value) => h('div', { class: 'def-row' }, h('dt', {}, label), h('dd', {}, ...value));

const FALLBACK_WHEN = {
  imessage_unsupported: 'when the number cannot receive iMessage',
  imessage_fails: 'when the iMessage fails',
};

/** The definition as an operator reads it; `d` is the campaign's API description. */
export function definitionCard(d) {
  const variants = (d.variants ?? []).filter((v) => v !== d.message);
  const fallback = d.fallback
    ? `SMS ${d.fallback.when.map((w) => FALLBACK_WHEN[w] ?? w).join(', or ')}${d.fallback.from?.length ? ` from ${d.fallback.from.join(', ')}` : ''}`
    : 'none: iMessage only';
  const schedule = d.cron ? `repeats: cron “${d.cron}” in ${d.timezone}` : d.at ? when(d.at, d.timezone) : 'not scheduled yet';
  const p = d.pacing ?? {};
  return h(
    'div',
    { class: 'card wide', 'data-section': 'definition' },
    h('h2', {}, 'Campaign'),
    h(
      'dl',
      { class: 'def' },
      row('Message', h('blockquote', { class: 'message-text', 'data-def': 'message' }, d.message)),
      variants.length ? row(`Variants (${variants.length})`, h('ul', { class: 'plain' }, variants.map((v) => h('li', { class: 'message-text' }, v)))) : null,
      row('Sender lines', h('span', { 'data-def': 'lines' }, d.from?.length ? d.from.join(', ') : 'none listed: the provider picks a line')),
      row('SMS fallback', h('span', { 'data-def': 'fallback' }, fallback)),
      row('Send window', h('span', { 'data-def': 'window' }, d.window === 'any time' ? 'any time of day' : `${d.window} in each recipient’s local time`)),
      row('Schedule', h('span', { 'data-def': 'schedule' }, schedule)),
      row('Time zone', h('span', { 'data-def': 'timezone' }, d.timezone)),
      row(
        'Pacing',
        h('span', {}, `${p.ratePerLine ?? '—'} message${p.ratePerLine === 1 ? '' : 's'}/s per line (bursts of ${p.burst ?? '—'}), ${p.concurrency ?? '—'} at once` +
          (p.newContactsPerDay ? `, at most ${fmt(p.newContactsPerDay)} new contacts per line a day` : '')),
      ),
    ),
  );
}

/** The imports, newest first, with their counts and a download of every row left out. */
export function importsCard(d) {
  const rows = (d.imports ?? []).map((i) => [
    i.file,
    when(i.startedAt, d.timezone, true),
    i.status === 'failed' ? h('span', { class: 'badge status-failed', title: i.error ?? '' }, 'failed: nothing kept') : i.status,
    fmt(i.total),
    fmt(i.imported),
    fmt(i.duplicates),
    fmt(i.invalid),
    fmt(i.optedOut),
    i.rejected > 0
      ? h('a', { href: `/ui/rejections/${i.id}`, download: '', 'data-action': 'download-rejections', 'data-import': i.id }, `Download ${fmt(i.rejected)} rejected row${i.rejected === 1 ? '' : 's'}`)
      : h('span', { class: 'muted' }, 'none rejected'),
  ]);
  const total = d.recipients?.total ?? 0;
  return h(
    'div',
    { class: 'card wide', 'data-section': 'imports' },
    h('h2', {}, 'Recipients and imports'),
    h('p', { 'data-recipients-loaded': total }, `${fmt(total)} recipient${total === 1 ? '' : 's'} loaded`, d.recipients?.optedOut ? ` (${fmt(d.recipients.optedOut)} of them opted out since)` : '', '.'),
    table(
      ['File', `Uploaded (${d.timezone})`, 'Status', { label: 'Rows', num: true }, { label: 'Imported', num: true }, { label: 'Duplicates', num: true }, { label: 'Invalid', num: true }, { label: 'Opted out', num: true }, 'Rows left out'],
      rows,
      { name: 'imports', empty: 'No file uploaded yet.' },
    ),
  );
}
