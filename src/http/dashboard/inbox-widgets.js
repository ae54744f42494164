// bluecast dashboard: the inbox's self-contained pieces, the header's unread
// badge and the saved answers (quick replies) under the reply box. Quick
// replies' {{columns}} are filled in per person by the server
// (GET inbox/thread/quick-replies); here they are only listed and edited.
import { POLL_MS, api, errorText, h, poll } from './dom.js';

const CHANGED = 'bluecast:inbox-changed';

/** Tell the header's badge that threads were read or changed here: it polls now rather than at its next turn. */
export const inboxChanged = () => window.dispatchEvent(new Event(CHANGED));

/** Keeps the header's "Inbox (N unread)" link current; polls with the ETag, so an unchanged inbox costs a 304. */
export function startUnreadBadge(link) {
  let etag;
  let timer;
  // One poll at a time: a change told while one is in flight polls once more after it.
  let inFlight = false;
  let again = false;
  const tick = async () => {
    if (inFlight) return void (again = true);
    inFlight = true;
    clearTimeout(timer);
    try {
      const r = await poll('inbox/threads?limit=500', etag);
      if (!r.notModified) {
        etag = r.etag;
        const n = r.data.unreadThreads;
        link.textContent = n > 0 ? `Inbox (${n} unread)` : 'Inbox';
        link.title = n > 0 ? `${r.data.unreadReplies} unread ${r.data.unreadReplies === 1 ? 'reply' : 'replies'} in ${n} ${n === 1 ? 'conversation' : 'conversations'}` : 'No unread replies';
      }
    } catch {
      // The badge is a hint; the inbox page shows errors.
    } finally {
      inFlight = false;
    }
    if (again) {
      again = false;
      return tick();
    }
    timer = setTimeout(tick, POLL_MS * 2);
  };
  window.addEventListener(CHANGED, () => tick());
  tick();
  return () => clearTimeout(timer);
}

/** "Saved answers": the list with remove buttons and a form to save one; `changed` runs after each change. */
export function quickRepliesPanel(changed) {
  const list = h('ul', { class: 'quick-list' });
  // The empty list's hint and the last action's notice are apart: reloading the list after a save must not wipe "Saved …".
  const hint = h('p', { class: 'muted' });
  const status = h('p', { class: 'muted', role: 'status' });
  const name = h('input', { type: 'text', maxlength: 60, placeholder: 'Name, e.g. Opening hours', 'aria-label': 'Quick reply name' });
  const body = h('textarea', { rows: 2, maxlength: 2000, placeholder: 'Hi {{first_name|there}}, we are open 9–5.', 'aria-label': 'Quick reply text' });
  const form = h('form', { class: 'quick-form' }, name, body, h('button', { type: 'submit', class: 'secondary', text: 'Save answer' }));
  async function load() {
    try {
      const all = (await api('GET', 'inbox/quick-replies')).quickReplies;
      hint.textContent = all.length ? '' : 'None yet. {{first_name}} and the other columns of the person’s CSV row are filled in.';
      list.replaceChildren(
        ...all.map((q) =>
          h(
            'li',
            {},
            h('strong', { text: q.name }),
            h('span', { class: 'muted', text: ` ${q.body}` }),
            h('button', {
              type: 'button',
              class: 'link',
              text: 'Remove',
              'aria-label': `Remove quick reply ${q.name}`,
              onclick: async () => {
                await api('DELETE', `inbox/quick-replies?name=${encodeURIComponent(q.name)}`).catch((e) => (status.textContent = errorText(e)));
                load();
                changed();
              },
            }),
          ),
        ),
      );
    } catch (e) {
      status.textContent = errorText(e);
    }
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('PUT', 'inbox/quick-replies', { name: name.value, body: body.value });
      status.textContent = `Saved “${name.value.trim()}”.`;
      name.value = body.value = '';
      load();
      changed();
    } catch (e) {
      status.textContent = errorText(e);
    }
  });
  load();
  return h('details', { class: 'quick-panel' }, h('summary', { text: 'Saved answers (quick replies)' }), list, hint, status, form);
}
