// The campaign form, for a new campaign and for editing a draft: errors next
// to each field, all found at once (checked here first, the server's answer
// mapped onto the same fields), in the page's words, focus on the first one.

import { api, e164Of, errorBox, errorSlot, h, keepDraft, showFieldErrors } from './dom.js';

/** The page's name of each field, for errors the server reports by its own path. */
const LABELS = { name: 'Name', message: 'Message', variants: 'Variants', from: 'Sender lines', fallback: 'SMS fallback', timezone: 'Time zone', window: 'Send window', cron: 'Repeat (cron)' };
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const WINDOW_RE = /^([01]?\d|2[0-4]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$/;

const list = (v) => String(v ?? '').split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

function validTimeZone(tz) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Every problem of the typed values at once: [{ name, message }]. */
function check(v, withWhen) {
  const errors = [];
  const add = (name, message) => errors.push({ name, message });
  if (!v.name) add('name', 'Give the campaign a name.');
  else if (v.name.length > 100) add('name', 'At most 100 characters.');
  else if (/^\d+$/.test(v.name)) add('name', 'Use at least one letter: a name of digits only would read as a campaign number.');
  else if (!NAME_RE.test(v.name)) add('name', 'Use letters, digits, “.”, “_” and “-” only, starting with a letter or digit (no spaces).');
  if (!v.message.trim()) add('message', 'Write the message to send.');
  const badLines = v.fromTyped.filter((x) => !e164Of(x));
  if (badLines.length) {
    add('from', `${badLines.map((x) => `“${x}”`).join(', ')} ${badLines.length === 1 ? 'is not a phone number' : 'are not phone numbers'} in international form: start with + and the country code, e.g. +14155552671.`);
  }
  if (!v.timezone) add('timezone', 'Give a time zone, e.g. America/Chicago.');
  else if (!validTimeZone(v.timezone)) add('timezone', `“${v.timezone}” is not a time zone name: use one like America/Chicago or Europe/Paris.`);
  if (!/^(any|none|off)$/i.test(v.window)) {
    const m = WINDOW_RE.exec(v.window.replace(/\s+/g, ''));
    if (!m) add('window', `“${v.window}” is not a window: write it as 09:00-21:00, or “any”.`);
    else if (Number(m[1]) * 60 + Number(m[2]) >= Number(m[3]) * 60 + Number(m[4])) add('window', 'The window must end after it starts, within one day.');
  }
  if (withWhen && v.mode === 'cron') {
    if (!v.cron) add('cron', 'Give the repeat as a cron expression, e.g. “0 10 * * 1” for Mondays at 10:00.');
    else if (!v.cron.startsWith('@') && v.cron.split(/\s+/).length !== 5) add('cron', `“${v.cron}” needs five parts: minute hour day-of-month month day-of-week (e.g. “0 10 * * 1”).`);
  }
  return errors;
}

/**
 * The server's issues on the page's fields: `from[1]` is the sender lines
 * field; its wording stays (it names the value), without command-line advice.
 */
export function issuesToFields(issues, sent = {}) {
  return (issues ?? []).map((i) => {
    const name = String(i.path ?? '').split(/[.[]/)[0] || '';
    // A sender line the server refused: named by its value, not by its place in a list.
    const at = /^from\[(\d+)\]$/.exec(String(i.path ?? ''));
    if (at && Array.isArray(sent.from) && sent.from[Number(at[1])]) {
      return { name, message: `“${sent.from[Number(at[1])]}” is not a valid phone number: check the country code and the digits (e.g. +14155552671).` };
    }
    const message = String(i.message ?? '').replace(/\s*\(?(pass|use) --[a-z-]+[^.;)]*\)?/gi, '').trim();
    return { name, message: /[.!?]$/.test(message) ? message : `${message.charAt(0).toUpperCase()}${message.slice(1)}.` };
  });
}

/**
 * The form. `initial` is a stored definition (GET /api/campaigns/:id's
 * `definition`) when editing; `send(def)` creates or saves and returns what
 * to do next. A new campaign is a draft (its time is set on its page, once
 * recipients are in, in its own zone) or repeats by cron.
 */
export function campaignForm({ id, initial, submitLabel, send }) {
  const editing = Boolean(initial);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/New_York';
  const i = initial ?? {};
  const field = (name, label, input, hint) =>
    h('div', { class: 'field' }, h('label', { for: `${id}-${name}` }, h('span', {}, label)), input, hint ? h('small', { class: 'muted', id: `${id}-${name}-hint` }, hint) : null, errorSlot(name, id));
  const described = (name, hint = true) => ({ id: `${id}-${name}`, name, 'aria-describedby': `${id}-${name}-error${hint ? ` ${id}-${name}-hint` : ''}` });
  const input = (name, props, value) => {
    const el = h('input', { ...described(name), ...props });
    if (value !== undefined && value !== null) el.value = value;
    return el;
  };
  const area = (name, props, value) => {
    const el = h('textarea', { ...described(name), ...props });
    if (value) el.value = value;
    return el;
  };
  const fallback = new Set(i.fallback ?? []);
  const form = h(
    'form',
    { class: 'card form', id, novalidate: true },
    field('name', 'Name', input('name', { maxlength: 100, autocomplete: 'off', placeholder: 'spring-sale' }, i.name), 'letters, digits, . _ - (no spaces)'),
    field('message', 'Message', area('message', { rows: 3, placeholder: 'Hi {{first_name|there}}, …' }, i.message), '{{column}} placeholders from the CSV, {{column|default}} for a default'),
    field('variants', 'Variants', area('variants', { rows: 2 }, (i.variants ?? []).filter((v) => v !== i.message).join('\n')), 'optional: other wordings, one per line'),
    field('from', 'Sender lines', input('from', { placeholder: '+14155550100, +14155550101', inputmode: 'tel' }, (i.from ?? []).join(', ')), 'phone numbers in international form, comma-separated; empty lets the provider pick'),
    h(
      'fieldset',
      { class: 'field', 'aria-describedby': `${id}-fallback-error` },
      h('legend', {}, 'SMS fallback'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'fallback', value: 'imessage_unsupported', checked: fallback.has('imessage_unsupported') }), 'when iMessage is unsupported'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'fallback', value: 'imessage_fails', checked: fallback.has('imessage_fails') }), 'when iMessage fails'),
      errorSlot('fallback', id),
    ),
    editing
      ? null
      : h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'When'),
          h('label', { class: 'check' }, h('input', { type: 'radio', name: 'when', value: 'draft', checked: true }), 'Once: set the time on its page, after uploading recipients'),
          h('label', { class: 'check' }, h('input', { type: 'radio', name: 'when', value: 'cron' }), 'Repeat (cron)'),
          input('cron', { placeholder: '0 10 * * 1', 'aria-label': 'cron expression' }),
          errorSlot('cron', id),
        ),
    field('timezone', 'Time zone', input('timezone', {}, i.timezone ?? tz), 'of the schedule (IANA name, e.g. America/Chicago)'),
    field('window', 'Send window', input('window', {}, i.window === undefined ? '09:00-21:00' : i.window ?? 'any'), "in each recipient's local time, e.g. 09:00-21:00, or “any”"),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, submitLabel)),
  );
  const out = h('div', {});
  // A new campaign's draft survives a reload or an expired session; an edit starts from what is stored.
  const forgetDraft = editing ? () => {} : keepDraft(form, id);
  const show = (errors) => {
    const rest = showFieldErrors(form, errors);
    out.replaceChildren(rest.length ? h('div', { class: 'notice error', role: 'alert' }, h('ul', {}, rest.map((e) => h('li', {}, `${LABELS[e.name] ?? 'Campaign'}: ${e.message}`)))) : '');
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const v = {
      name: String(f.get('name') ?? '').trim(),
      message: String(f.get('message') ?? ''),
      fromTyped: list(f.get('from')),
      timezone: String(f.get('timezone') ?? '').trim(),
      window: String(f.get('window') ?? '').trim() || 'any',
      mode: f.get('when'),
      cron: String(f.get('cron') ?? '').trim(),
    };
    const problems = check(v, !editing);
    if (problems.length) return show(problems);
    const def = {
      ...(initial ?? {}),
      name: v.name,
      message: v.message,
      variants: String(f.get('variants') ?? '').split('\n').map((s) => s.trim()).filter(Boolean),
      from: v.fromTyped.map(e164Of),
      fallback: f.getAll('fallback').map(String),
      timezone: v.timezone,
      window: v.window.replace(/\s+/g, ''),
    };
    if (!editing && v.mode === 'cron') def.cron = v.cron;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await send(def);
      forgetDraft();
      show([]);
    } catch (err) {
      if (err.issues && err.issues.length) show(issuesToFields(err.issues, def));
      else out.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return { el: h('div', {}, out, form) };
}

export function newCampaignView() {
  const { el } = campaignForm({
    id: 'new-campaign',
    submitLabel: 'Create campaign',
    send: async (def) => {
      const created = await api('POST', 'campaigns', def);
      location.hash = `#/campaigns/${created.id}`;
    },
  });
  return { el: h('section', { class: 'view' }, h('h1', {}, 'New campaign'), el), stop() {} };
}
