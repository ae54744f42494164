// The runs of a repeating (cron) campaign: the report, chart and export show
// all runs together or the one chosen here (?run= on the report API).

import { h, when } from './dom.js';

export function runPicker(onChange) {
  const select = h('select', { id: 'run-picker', name: 'run', 'data-section': 'run-picker' });
  const el = h('div', { class: 'run-picker', hidden: true }, h('label', { for: 'run-picker' }, 'Show '), select);
  let runs = [];
  select.addEventListener('change', () => onChange(select.value ? Number(select.value) : null));
  return {
    el,
    /** `report` is the latest report; its runs are the campaign's only while no run is chosen. */
    update(report, selected) {
      const c = report.campaign;
      if (selected === null) runs = report.runs;
      el.hidden = !(runs.length > 1 || c.cronExpression);
      if (el.hidden) return;
      const key = runs.map((r) => `${r.id}:${r.status}`).join(',');
      if (select.dataset.key !== key) {
        select.dataset.key = key;
        select.replaceChildren(
          h('option', { value: '' }, `all ${runs.length} runs`),
          runs.map((r) => h('option', { value: r.id }, `run #${r.id}: ${when(r.scheduledFor, c.timezone, true)} (${r.status})`)),
        );
      }
      select.value = selected === null ? '' : String(selected);
    },
  };
}
