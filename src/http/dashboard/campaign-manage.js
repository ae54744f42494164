// Edit (while a draft), duplicate and archive, on the campaign's page: the
// same use cases as `bluecast campaign edit|duplicate|archive` (PUT
// /api/campaigns/:id, POST …/duplicate, POST …/archive|unarchive).

import { campaignForm } from './campaign-form.js';
import { api, errorBox, errorSlot, h, showFieldErrors } from './dom.js';
import { issuesToFields } from './campaign-form.js';

const ARCHIVABLE = ['draft', 'completed', 'cancelled'];

/** `d` is GET /api/campaigns/:id; `changed(message)` refreshes the page after a change. */
export function manageCard(d, changed) {
  const panel = h('div', { 'data-section': 'manage-panel' });
  const out = h('div', {});
  const open = (el) => {
    panel.replaceChildren(el);
    const first = el.querySelector('input, textarea');
    if (first) first.focus();
  };
  const buttons = [];
  if (d.status === 'draft' && !d.archivedAt) {
    buttons.push(
      h('button', {
        type: 'button',
        class: 'secondary',
        'data-action': 'edit',
        onclick: () => {
          const { csv: _serverPath, ...definition } = d.definition;
          const { el } = campaignForm({
            id: 'edit-campaign',
            initial: definition,
            submitLabel: 'Save changes',
            send: async (def) => {
              await api('PUT', `campaigns/${d.id}`, def);
              panel.replaceChildren();
              changed('Saved: the draft has the new definition.');
            },
          });
          const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => panel.replaceChildren() }, 'Close without saving');
          open(h('div', { class: 'card wide' }, h('h2', {}, 'Edit the draft'), el, cancel));
        },
      }, 'Edit'),
    );
  }
  buttons.push(
    h('button', {
      type: 'button',
      class: 'secondary',
      'data-action': 'duplicate',
      onclick: () => {
        const name = h('input', { name: 'name', id: 'duplicate-name', autocomplete: 'off', 'aria-describedby': 'duplicate-form-name-error' });
        name.value = `${d.name}-copy`.slice(0, 100);
        const form = h(
          'form',
          { class: 'schedule', id: 'duplicate-form', novalidate: true },
          h('label', { for: 'duplicate-name' }, 'Name of the copy'),
          name,
          errorSlot('name', 'duplicate-form'),
          h('p', { class: 'muted' }, `A new draft with the same message, lines, window and ${d.recipients.total.toLocaleString('en-US')} recipients; nothing is sent until you schedule it.`),
          h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Make the copy'), h('button', { type: 'button', class: 'secondary', onclick: () => panel.replaceChildren() }, 'Cancel')),
        );
        form.addEventListener('submit', async (ev) => {
          ev.preventDefault();
          try {
            const copy = await api('POST', `campaigns/${d.id}/duplicate`, { name: name.value.trim() });
            location.hash = `#/campaigns/${copy.id}`;
          } catch (err) {
            const rest = showFieldErrors(form, err.issues?.length ? issuesToFields(err.issues) : [{ name: 'name', message: err.message }]);
            out.replaceChildren(rest.length ? errorBox(err) : '');
          }
        });
        open(h('div', { class: 'card wide' }, h('h2', {}, 'Duplicate'), form));
      },
    }, 'Duplicate…'),
  );
  if (d.archivedAt) {
    buttons.push(h('button', { type: 'button', class: 'secondary', 'data-action': 'unarchive', onclick: post('unarchive', 'Back in the campaigns list.') }, 'Unarchive'));
  } else if (ARCHIVABLE.includes(d.status)) {
    buttons.push(h('button', { type: 'button', class: 'secondary', 'data-action': 'archive', onclick: post('archive', 'Archived: hidden from the campaigns list (tick “Show archived” there to see it).') }, 'Archive'));
  }
  function post(verb, message) {
    return async () => {
      try {
        await api('POST', `campaigns/${d.id}/${verb}`, {});
        changed(message);
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    };
  }
  return h(
    'div',
    { class: 'manage wide', 'data-section': 'manage' },
    d.archivedAt ? h('p', { class: 'notice archived', 'data-archived': '' }, 'Archived: this campaign is hidden from the campaigns list.') : null,
    h('div', { class: 'actions' }, buttons),
    out,
    panel,
  );
}
