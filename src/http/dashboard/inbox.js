// bluecast dashboard: the operator's inbox (#/inbox, #/inbox/PHONE/LINE).
// Same rules as app.js: every call goes through /ui/api/… with the session
// cookie, and data only ever reaches the page as textContent or attributes.

import { POLL_MS, api, errorText, h, poll } from './dom.js';
import { eventItem, onItsWay, when } from './inbox-events.js';
import { inboxChanged, quickRepliesPanel } from './inbox-widgets.js';

export { startUnreadBadge } from './inbox-widgets.js';

const TYPING_IDLE_MS = 5000;
const stateLabel = { open: 'Open', needs_attention: 'Needs attention', done: 'Done' };
const threadHash = (t) => `#/inbox/${encodeURIComponent(t.phone)}/${encodeURIComponent(t.line)}`;
const threadQuery = (t) => `phone=${encodeURIComponent(t.phone)}&line=${encodeURIComponent(t.line)}`;

// ---------------------------------------------------------------- the view

/** The inbox page: thread list on the left, the open thread on the right (stacked on a phone). */
export function inboxView(hash) {
  const m = /^#\/inbox\/([^/]+)\/([^/]+)$/.exec(hash);
  const selected = m ? { phone: decodeURIComponent(m[1]), line: decodeURIComponent(m[2]) } : null;
  let stopped = false;
  const timers = new Set();
  const later = (fn, ms) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
    return t;
  };

  // ---- thread list
  const filters = { tab: sessionStorage.getItem('inbox.tab') ?? 'unread', line: '', campaign: '', q: '' };
  const tabs = h('div', { class: 'inbox-tabs', role: 'tablist' });
  // Filtered by the server; the choices are every line and campaign seen, so picking one never hides the others.
  const refilter = () => ((listEtag = undefined), pollList());
  const lineSelect = h('select', { 'aria-label': 'Line', onchange: () => ((filters.line = lineSelect.value), refilter()) });
  const campaignSelect = h('select', { 'aria-label': 'Campaign', onchange: () => ((filters.campaign = campaignSelect.value), refilter()) });
  const knownLines = new Set();
  const knownCampaigns = new Map();
  const search = h('input', { type: 'search', placeholder: 'Search number or text', 'aria-label': 'Search threads' });
  let searchTimer;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = later(() => ((filters.q = search.value.trim()), refilter()), 300);
  });
  const listEl = h('ul', { class: 'inbox-list', 'aria-label': 'Threads' });
  const listStatus = h('p', { class: 'muted inbox-list-status' });
  let threads = [];
  let listEtag;
  let seenKey = '';
  let firstDone = false;

  const TAB_DEFS = [
    ['unread', 'Unread', (t) => t.unread > 0],
    ['needs_attention', 'Needs attention', (t) => t.state === 'needs_attention' || t.needs_attention],
    ['open', 'All open', (t) => t.state !== 'done'],
    ['done', 'Done', (t) => t.state === 'done'],
  ];
  function renderTabs() {
    tabs.replaceChildren(
      ...TAB_DEFS.map(([key, label, test]) => {
        const n = threads.filter(test).length;
        return h('button', {
          type: 'button',
          role: 'tab',
          class: filters.tab === key ? 'active' : undefined,
          'aria-selected': filters.tab === key ? 'true' : 'false',
          text: `${label} (${n})`,
          onclick: () => {
            filters.tab = key;
            sessionStorage.setItem('inbox.tab', key);
            renderList();
          },
        });
      }),
    );
  }
  function renderList() {
    renderTabs();
    for (const t of threads) {
      knownLines.add(t.line);
      for (const c of t.campaigns ?? []) knownCampaigns.set(String(c.id), c.name);
    }
    lineSelect.replaceChildren(h('option', { value: '', text: 'All lines' }), ...[...knownLines].sort().map((l) => h('option', { value: l, text: l, selected: l === filters.line })));
    campaignSelect.replaceChildren(
      h('option', { value: '', text: 'All campaigns' }),
      ...[...knownCampaigns].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => h('option', { value: id, text: name, selected: id === filters.campaign })),
    );
    const test = TAB_DEFS.find(([k]) => k === filters.tab)[2];
    // The open thread stays listed (highlighted) when reading it takes it out of the tab.
    const isOpen = (t) => selected && t.phone === selected.phone && t.line === selected.line;
    const shown = threads.filter((t) => test(t) || isOpen(t));
    const tabName = TAB_DEFS.find(([k]) => k === filters.tab)[1].toLowerCase();
    const filtered = filters.q || filters.line || filters.campaign;
    listStatus.textContent = shown.length ? '' : filtered ? `No ${tabName} thread matches the filters.` : `No ${tabName} threads.`;
    listEl.replaceChildren(
      ...shown.map((t) => {
        const isSel = isOpen(t);
        return h(
          'li',
          { class: ['thread', t.unread > 0 ? 'unread' : '', isSel ? 'selected' : ''].join(' ').trim() },
          h(
            'a',
            { href: threadHash(t), 'data-phone': t.phone },
            h(
              'span',
              { class: 'thread-top' },
              h('strong', { class: 'thread-phone', text: t.phone }),
              t.unread > 0 ? h('span', { class: 'pill unread-pill', text: `${t.unread} unread` }) : undefined,
              t.opted_out ? h('span', { class: 'pill optout-pill', text: 'opted out' }) : undefined,
              t.needs_attention || t.state === 'needs_attention' ? h('span', { class: 'pill attention-pill', text: 'needs attention' }) : undefined,
            ),
            h('span', { class: 'thread-last', text: `${t.last_direction === 'out' ? 'You: ' : ''}${t.last_body}` }),
            h('span', { class: 'thread-meta muted', text: `line ${t.line} · ${when(t.last_at)}` }),
          ),
        );
      }),
    );
  }
  async function pollList() {
    try {
      const qs = new URLSearchParams({ limit: '500' });
      if (filters.q) qs.set('q', filters.q);
      if (filters.line) qs.set('line', filters.line);
      if (filters.campaign) qs.set('campaign', filters.campaign);
      const r = await poll(`inbox/threads?${qs}`, listEtag);
      if (!r.notModified) {
        listEtag = r.etag;
        threads = r.data.threads;
        // Reopening marks read (and may send a receipt): only when the thread itself changed.
        const row = selected && threads.find((x) => x.phone === selected.phone && x.line === selected.line);
        const key = row ? `${row.last_at}|${row.opted_out}|${row.state}` : '';
        // The open thread is being read: what just arrived in it is marked read by the refresh below, not counted unread.
        if (row) row.unread = 0;
        renderList();
        if (row && key !== seenKey) {
          seenKey = key;
          if (firstDone) refreshThread();
        }
      }
    } catch (e) {
      listStatus.textContent = errorText(e);
    }
  }
  function loop() {
    pollList().finally(() => later(loop, POLL_MS));
  }

  const listPane = h(
    'section',
    { class: 'inbox-threads' + (selected ? ' has-selection' : '') },
    h('h1', { text: 'Inbox' }),
    tabs,
    h('div', { class: 'inbox-filters' }, search, h('span', { class: 'inbox-selects' }, campaignSelect, lineSelect)),
    listStatus,
    listEl,
  );

  // ---- thread view
  const threadPane = h('section', { class: 'inbox-thread' + (selected ? '' : ' empty') });
  let refreshThread = () => {};
  let stopTyping = () => {};
  if (!selected) threadPane.append(h('p', { class: 'muted', text: 'Choose a thread to read it and answer.' }));
  else buildThread(selected);

  function buildThread(t) {
    const notice = h('p', { class: 'notice', role: 'status', hidden: true });
    const show = (text, kind = 'ok') => {
      notice.textContent = text;
      notice.className = `notice ${kind}`;
      notice.hidden = !text;
    };
    const stateSel = h('select', { 'aria-label': 'Thread state' }, ...Object.entries(stateLabel).map(([v, l]) => h('option', { value: v, text: l })));
    stateSel.addEventListener('change', async () => {
      try {
        await api('POST', 'inbox/thread/state', { ...t, state: stateSel.value });
        show(`Marked ${stateLabel[stateSel.value].toLowerCase()}.`);
        listEtag = undefined;
        pollList();
      } catch (e) {
        show(errorText(e), 'error');
      }
    });
    const unreadBtn = h('button', {
      type: 'button',
      class: 'secondary',
      text: 'Mark unread',
      onclick: async () => {
        await api('POST', 'inbox/thread/state', { ...t, state: 'unread' }).catch((e) => show(errorText(e), 'error'));
        location.hash = '#/inbox';
      },
    });
    const consentBox = h('div', { class: 'consent-box' });
    const events = h('ol', { class: 'events', 'aria-label': 'Messages, oldest first' });
    const refuse = h('p', { class: 'refuse', role: 'alert', hidden: true });
    const box = h('textarea', { rows: 3, maxlength: 2000, placeholder: 'Write an answer…', 'aria-label': 'Answer' });
    const send = h('button', { type: 'submit', text: 'Send' });
    const picker = h('select', { class: 'quick-picker', 'aria-label': 'Quick reply', title: 'Insert a saved answer' }, h('option', { value: '', text: 'Quick reply…' }));
    const form = h('form', { class: 'reply-box' }, box, h('span', { class: 'reply-actions' }, picker, send));
    const quickBox = quickRepliesPanel(() => loadQuick());
    let quick = [];
    async function loadQuick() {
      try {
        quick = (await api('GET', `inbox/thread/quick-replies?${threadQuery(t)}`)).quickReplies;
      } catch (e) {
        return show(errorText(e), 'error');
      }
      picker.replaceChildren(
        h('option', { value: '', text: quick.length ? 'Quick reply…' : 'No quick replies yet' }),
        ...quick.map((q, i) => h('option', { value: String(i), text: q.problem ? `${q.name} (cannot be used here)` : q.name })),
      );
      picker.disabled = optedOut || quick.length === 0;
    }
    picker.addEventListener('change', () => {
      const q = quick[Number(picker.value)];
      picker.value = '';
      if (!q) return;
      if (q.problem) return show(`“${q.name}”: ${q.problem}`, 'error');
      // Filled in for this person, to read and edit before sending; typing starts as if typed.
      box.value = q.text;
      box.dispatchEvent(new Event('input'));
      box.focus();
    });
    threadPane.append(
      h(
        'div',
        { class: 'thread-head' },
        h('a', { href: '#/inbox', class: 'back', text: '← All threads' }),
        h('h2', { text: t.phone }),
        h('span', { class: 'muted', text: `on line ${t.line}` }),
        h('span', { class: 'thread-actions' }, stateSel, unreadBtn),
      ),
      notice,
      events,
      refuse,
      form,
      consentBox,
      quickBox,
    );
    loadQuick();

    // Typing: start on the first keystroke, stop on send or after 5 s without one.
    let typing = false;
    let idle;
    const typingStop = () => {
      clearTimeout(idle);
      if (!typing) return;
      typing = false;
      api('POST', 'inbox/thread/typing', { ...t, action: 'stop' }).catch(() => undefined);
    };
    box.addEventListener('input', () => {
      if (!box.value.trim()) return typingStop();
      if (!typing) {
        typing = true;
        api('POST', 'inbox/thread/typing', { ...t, action: 'start' }).catch(() => undefined);
      }
      clearTimeout(idle);
      idle = later(typingStop, TYPING_IDLE_MS);
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = box.value.trim();
      if (!body) return show('Write something to send.', 'error');
      send.disabled = true;
      try {
        clearTimeout(idle);
        typing = false; // the server stops typing with the send
        awaiting = (await api('POST', 'inbox/thread/reply', { ...t, body })).messageId;
        box.value = '';
        show('Sending your answer: it goes out paced on this line; its status shows below.');
        // Refreshed until it has left (see refreshThread): its status moves on without the list changing.
        refreshThread();
      } catch (e) {
        show(errorText(e), 'error');
      } finally {
        send.disabled = false;
      }
    });

    let optedOut = false;
    function renderConsent() {
      const reason = h('input', { type: 'text', maxlength: 500, 'aria-label': optedOut ? 'Basis of the opt-in' : 'Reason for the opt-out' });
      reason.placeholder = optedOut ? 'Basis: where and when they agreed again' : 'Reason, e.g. asked not to be contacted';
      const btn = h('button', { type: 'submit', class: optedOut ? 'secondary' : 'danger', text: optedOut ? 'Mark opted in' : 'Mark opted out' });
      const f = h('form', { class: 'consent-form' }, h('span', { class: 'muted', text: optedOut ? 'This person opted out.' : 'Consent:' }), reason, btn);
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const text = reason.value.trim();
        if (!text) return show(optedOut ? 'An opt-in needs its basis.' : 'An opt-out needs a reason.', 'error');
        try {
          if (optedOut) await api('POST', 'consent/opt-in', { phone: t.phone, basis: text });
          else await api('POST', 'consent/opt-out', { phone: t.phone, reason: text });
          show(optedOut ? 'Marked opted in.' : 'Marked opted out: nothing more goes to this person.');
          refreshThread();
          listEtag = undefined;
          pollList();
        } catch (e) {
          show(errorText(e), 'error');
        }
      });
      consentBox.replaceChildren(f);
    }

    const tapback = async (name, e) => {
      try {
        await api('POST', 'inbox/thread/tapback', { ...t, tapback: name, message: e.body ?? '' });
        show(`Tapback “${name}” sent.`);
        refreshThread();
      } catch (err) {
        show(errorText(err), 'error');
      }
    };
    const renderEvents = (list) => {
      // Read to the end, it stays at the end as events arrive; scrolled back, it stays put.
      const atEnd = events.scrollTop + events.clientHeight >= events.scrollHeight - 40;
      events.replaceChildren(...list.map((e) => eventItem(e, { optedOut, onTapback: tapback })));
      if (atEnd) events.scrollTop = events.scrollHeight;
    };

    let first = true;
    let pending;
    // The answer just sent, until it has left: the notice then says what became of it.
    let awaiting;
    refreshThread = async () => {
      try {
        const data = await api('GET', `inbox/thread?${threadQuery(t)}`);
        // Opening marked it read: the list and the header's count say so now, not at their next poll.
        pollList();
        inboxChanged();
        optedOut = data.optedOut;
        // In the server's order (provider second, then arrival): ids of different tables do not compare.
        renderEvents(data.events);
        const row = threads.find((x) => x.phone === t.phone && x.line === t.line);
        if (row) stateSel.value = row.state;
        refuse.hidden = !optedOut;
        refuse.textContent = optedOut ? 'This person opted out: nothing can be sent to them (no answer, typing or tapback) until they opt back in.' : '';
        box.disabled = send.disabled = optedOut;
        picker.disabled = optedOut || quick.length === 0;
        renderConsent();
        // An answer of ours on its way: look again until the dispatcher has sent it.
        clearTimeout(pending);
        if (data.events.some(onItsWay)) pending = later(refreshThread, 1500);
        const sent = awaiting && data.events.find((e) => e.kind === 'operator_reply' && e.id === awaiting);
        if (sent && !onItsWay(sent)) {
          awaiting = undefined;
          if (sent.status === 'failed' || sent.status === 'cancelled' || sent.status === 'skipped') show(`Your answer was not sent (${sent.status})${sent.note ? `: ${sent.note}` : '.'}`, 'error');
          else show('Answer sent.');
        }
        if (first) {
          first = false;
          firstDone = true;
          events.lastElementChild?.scrollIntoView({ block: 'end' });
          if (data.readReceipt) show('Read receipt sent.');
          else if (data.readReceiptError) show(`Opened, but ${data.readReceiptError}`, 'error');
        }
      } catch (e) {
        show(errorText(e), 'error');
      }
    };
    refreshThread();
    stopTyping = typingStop;
  }

  const el = h('div', { class: 'inbox' + (selected ? ' thread-open' : '') }, listPane, threadPane);
  loop();
  return {
    el,
    stop() {
      stopped = true;
      stopTyping();
      for (const x of timers) clearTimeout(x);
    },
  };
}
