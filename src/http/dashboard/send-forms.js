// The two forms before a send: upload recipients, and schedule (review, then confirm).

import { api, errorBox, errorSlot, fmt, h, keepDraft, kpi, showFieldErrors, table, when } from './dom.js';
import { showPlan } from './plan.js';

/** Files up to this size are kept in the tab while they wait to be sent (an expired session then loses nothing). */
const KEEP_FILE_BYTES = 2 * 1024 * 1024;

/**
 * The chosen CSV is kept in sessionStorage until it is imported: a session
 * that expires on Upload comes back (after signing in) with the same file in
 * the form, ready to send again. Bigger files are not kept (the tab's storage
 * is small); the form then says to choose it again.
 */
function keptFile(campaignId) {
  const key = `bluecast.upload.${campaignId}`;
  return {
    async save(file, phoneColumn) {
      if (file.size > KEEP_FILE_BYTES) return sessionStorage.removeItem(key);
      try {
        sessionStorage.setItem(key, JSON.stringify({ name: file.name, text: await file.text(), phoneColumn }));
      } catch {
        sessionStorage.removeItem(key); // over the tab's quota: not kept
      }
    },
    restore(input, phone) {
      try {
        const saved = JSON.parse(sessionStorage.getItem(key) ?? 'null');
        if (!saved) return null;
        const dt = new DataTransfer();
        dt.items.add(new File([saved.text], saved.name, { type: 'text/csv' }));
        input.files = dt.files;
        if (saved.phoneColumn) phone.value = saved.phoneColumn;
        return saved.name;
      } catch {
        return null;
      }
    },
    forget: () => sessionStorage.removeItem(key),
  };
}

export function uploadCard(campaignId, onDone) {
  const formId = 'upload-form';
  const input = h('input', { type: 'file', name: 'csv', id: `${formId}-csv`, accept: '.csv,text/csv', 'aria-describedby': `${formId}-csv-error` });
  const phone = h('input', { name: 'phoneColumn', id: `${formId}-phone`, autocomplete: 'off', placeholder: 'found by itself: phone, mobile, number…', 'aria-describedby': `${formId}-phoneColumn-error` });
  const out = h('div', { 'data-section': 'import-result' });
  const button = h('button', { type: 'submit' }, 'Upload');
  const form = h(
    'form',
    { class: 'schedule', id: formId, novalidate: true },
    h('label', { for: `${formId}-csv` }, 'Recipients CSV'),
    input,
    errorSlot('csv', formId),
    h('label', { for: `${formId}-phone` }, 'Phone column (optional)'),
    phone,
    errorSlot('phoneColumn', formId),
    button,
  );
  const kept = keptFile(campaignId);
  const restored = kept.restore(input, phone);
  const again = restored ? h('p', { class: 'notice next-step', 'data-section': 'upload-kept' }, `${restored} is still chosen: press Upload to import it.`) : null;
  input.addEventListener('change', () => input.files && input.files[0] && kept.save(input.files[0], phone.value.trim()));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    again?.remove();
    const file = input.files && input.files[0];
    if (!file) {
      showFieldErrors(form, [{ name: 'csv', message: 'Choose a CSV file first.' }]);
      return;
    }
    showFieldErrors(form, []);
    await kept.save(file, phone.value.trim());
    button.disabled = true;
    out.replaceChildren(h('p', { class: 'muted' }, `Importing ${file.name}…`));
    const column = phone.value.trim();
    try {
      const s = await api('POST', `campaigns/${campaignId}/recipients?filename=${encodeURIComponent(file.name)}${column ? `&phone_column=${encodeURIComponent(column)}` : ''}`, file, 'text/csv');
      kept.forget();
      input.value = '';
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
        h('p', { class: 'notice ok', role: 'status' }, `${file.name}: ${fmt(s.imported)} recipient${s.imported === 1 ? '' : 's'} imported${leftOut ? `, ${fmt(leftOut)} row${leftOut === 1 ? '' : 's'} left out` : ''}.`),
        h('div', { class: 'kpis small' }, counts.map(([label, key, v]) => kpi(label, key, v))),
        download,
        rejected.length
          ? h('div', {}, h('h3', {}, s.invalid > rejected.length ? `Invalid rows (first ${fmt(rejected.length)} of ${fmt(s.invalid)})` : 'Invalid rows'), table([{ label: 'Line', num: true }, 'Reason', 'Row'], rejected, { name: 'rejected' }))
          : h('p', { class: 'muted' }, 'No invalid rows.'),
      );
      onDone();
    } catch (err) {
      if (err.status === 401) return;
      // A file-level problem belongs to the file field; the page has a field for what the CLI calls --phone-column.
      const message = err.message.replace(/ or pass --phone-column/, ' or type its name in “Phone column”');
      out.replaceChildren();
      const rest = showFieldErrors(form, [{ name: /column named/.test(message) ? 'phoneColumn' : err.issues?.length ? err.issues[0].path.split(/[.[]/)[0] : 'csv', message }]);
      if (rest.length) out.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'card' }, h('h2', {}, 'Recipients'), h('p', { class: 'muted' }, 'A CSV with a phone column; other columns become template variables.'), again, form, out);
}

/**
 * Scheduling in the campaign's own time zone: the input is a wall-clock time
 * there (the server converts it), never the browser's. Review first (a dry
 * run that says what will happen), then confirm. A scheduled campaign that has
 * not started can be rescheduled or unscheduled.
 */
export function scheduleCard(c, onDone) {
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
  // What was typed survives an expired session (as the new-campaign form does); forgotten once confirmed.
  const forgetDraft = keepDraft(form, `schedule-${c.id}`);
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
          forgetDraft();
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

