// Shared helpers of the dashboard's views: the API call, element building
// (text children only: no HTML is ever built from data) and number/time formats.

export const POLL_MS = 3000;

export class ApiError extends Error {
  constructor(status, message, issues) {
    super(message);
    this.status = status;
    this.issues = issues ?? [];
  }
}

/** One request to the API through the session proxy: the connection error and the signed-out redirect in one place. */
async function request(method, path, body, contentType, etag) {
  const headers = { 'x-bluecast-ui': '1' };
  let payload;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = contentType === 'application/json' ? JSON.stringify(body) : body;
  }
  if (etag) headers['if-none-match'] = etag;
  let res;
  try {
    res = await fetch(`/ui/api/${path}`, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    // The browser's own text ("Failed to fetch") says nothing to an operator.
    throw new ApiError(0, 'Could not reach bluecast: check the connection (or whether the server is running) and try again.');
  }
  if (res.status === 401) {
    // Signing in again comes back here (route() reads it); forms keep their drafts (keepDraft).
    sessionStorage.setItem('bluecast.return', location.hash);
    location.assign('/login');
    throw new ApiError(401, 'signed out');
  }
  return res;
}

async function dataOf(res) {
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  const data = isJson ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, (isJson && data && data.error) || `HTTP ${res.status}`, isJson ? data.issues : []);
  return data;
}

export async function api(method, path, body, contentType = 'application/json') {
  return dataOf(await request(method, path, body, contentType));
}

/**
 * A poll with the ETag of the last answer: `{ notModified: true, etag }` when
 * nothing changed (a 304, no body), else `{ data, etag }`. Polling pages cost
 * the server a hash and the network a few bytes while nothing happens.
 */
export async function poll(path, etag) {
  const res = await request('GET', path, undefined, undefined, etag);
  if (res.status === 304) return { notModified: true, etag };
  return { data: await dataOf(res), etag: res.headers.get('etag') ?? undefined };
}

/** An error's message with the fields it names, for one-line notices. */
export const errorText = (err) => [err.message, (err.issues ?? []).map((i) => `${i.path || '(form)'}: ${i.message}`).join('; ')].filter(Boolean).join(' — ');

/** h('td', { class: 'num' }, 'text', childNode…) or h('p', { text: '…' }): elements with text children only. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    // Through the CSSOM: the CSP forbids style attributes.
    else if (k === 'style') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const fmt = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'));
export const pct = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);
/**
 * A time with its zone: the campaign's when given, else the browser's. The
 * zone's name follows unless `short` (table rows, where the column says it).
 */
export const when = (iso, zone, short = false) =>
  iso
    ? new Date(iso).toLocaleString(undefined, { timeZone: zone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }) +
      (zone && !short ? ` (${zone})` : '')
    : '—';
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7200000) return `${(ms / 60000).toFixed(1)} min`;
  return `${(ms / 3600000).toFixed(1)} h`;
}

/** A number with its raw value in data-value, so tests read what the API said. */
export const metric = (key, value, text) => h('span', { class: 'value', 'data-metric': key, 'data-value': value ?? '' }, text ?? fmt(value));

export function errorBox(err) {
  const box = h('div', { class: 'notice error', role: 'alert' }, err.message);
  if (err.issues && err.issues.length) box.append(h('ul', {}, err.issues.map((i) => h('li', {}, `${i.path || '(form)'}: ${i.message}`))));
  return box;
}

export function table(head, rows, opts = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { 'data-table': opts.name },
      h('thead', {}, h('tr', {}, head.map((c) => h('th', { class: c.num ? 'num' : undefined, scope: 'col' }, c.label ?? c)))),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((r) => h('tr', {}, r.map((cell, i) => h('td', { class: head[i].num ? 'num' : undefined }, cell))))
          : h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, opts.empty ?? 'nothing yet')),
      ),
    ),
  );
}

export const statusBadge = (status) => h('span', { class: `badge status-${status}`, 'data-status': status }, status);

export function kpi(label, key, value, text, sub) {
  return h('div', { class: 'kpi' }, h('span', { class: 'kpi-label' }, label), metric(key, value, text), sub ? h('small', { class: 'muted' }, sub) : null);
}

/**
 * A form's typed values kept in sessionStorage as they change, and put back
 * when the form is built again: a session that expires mid-form, a reload or
 * a wrong turn loses nothing. Returns a function that forgets the draft (after
 * the form was sent).
 */
export function keepDraft(form, key) {
  const storeKey = `bluecast.draft.${key}`;
  try {
    const saved = JSON.parse(sessionStorage.getItem(storeKey) ?? 'null');
    if (saved) {
      for (const el of form.elements) {
        if (!el.name || !(el.name in saved)) continue;
        const v = saved[el.name];
        if (el.type === 'checkbox' || el.type === 'radio') el.checked = Array.isArray(v) ? v.includes(el.value) : v === el.value;
        else if (el.type !== 'file') el.value = v;
      }
    }
  } catch {
    // A draft that cannot be read is not worth an error.
  }
  const save = () => {
    const f = new FormData(form);
    const out = {};
    for (const name of new Set([...f.keys()])) {
      const all = f.getAll(name).filter((v) => typeof v === 'string');
      out[name] = form.querySelector(`[name="${name}"][type=checkbox]`) ? all : all[0];
    }
    // Unchecked boxes are absent from FormData: record them as none.
    for (const el of form.querySelectorAll('input[type=checkbox]')) if (!(el.name in out)) out[el.name] = [];
    sessionStorage.setItem(storeKey, JSON.stringify(out));
  };
  form.addEventListener('input', save);
  form.addEventListener('change', save);
  return () => sessionStorage.removeItem(storeKey);
}

/**
 * Errors next to their fields, all at once: `errors` is [{ name, message }]
 * where `name` is a form control's name; each field's message goes into its
 * `[data-error-for=name]` element (tied to the control by aria-describedby),
 * the control is marked invalid, and focus moves to the first one (scrolled
 * into view: on a phone the field may be far above the button). Errors whose
 * name has no field are returned for the caller to show.
 */
export function showFieldErrors(form, errors) {
  for (const el of form.querySelectorAll('[data-error-for]')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const rest = [];
  let first = null;
  const byName = new Map();
  for (const e of errors) {
    const slot = form.querySelector(`[data-error-for="${e.name}"]`);
    if (!slot) {
      rest.push(e);
      continue;
    }
    byName.set(e.name, [...(byName.get(e.name) ?? []), e.message]);
  }
  for (const el of form.elements) {
    if (!el.name || !byName.has(el.name) || el.type === 'hidden') continue;
    const slot = form.querySelector(`[data-error-for="${el.name}"]`);
    slot.textContent = byName.get(el.name).join(' ');
    el.setAttribute('aria-invalid', 'true');
    first ??= el;
  }
  if (first) {
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: 'center' });
  }
  return rest;
}

/** The error slot of a field: `fieldSlot('from')`, tied to the control by aria-describedby. */
export const errorSlot = (name, formId) => h('p', { class: 'field-error', 'data-error-for': name, id: `${formId}-${name}-error`, 'aria-live': 'off' });

/** A phone number as an operator may type a sender line ("+1 (415) 555-0100"), or null when it is not one. */
export function e164Of(typed) {
  const s = String(typed).trim().replace(/[\s().-]/g, '');
  return /^\+[1-9]\d{7,14}$/.test(s) ? s : null;
}
