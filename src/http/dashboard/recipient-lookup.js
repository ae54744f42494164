// Recipient lookup on a campaign's page: a phone number → what happened with
// that person in this campaign (queued, sent, delivered, read, failed, their
// replies) and their consent events. Data: GET /api/campaigns/:id/report/recipient.

import { api, errorBox, errorSlot, h, showFieldErrors, table, when } from './dom.js';

const KIND = { auto_reply: 'auto-reply', opt_out_confirmation: 'opt-out confirmation', operator_reply: 'operator reply' };

function what(e) {
  const kind = e.kind && e.kind !== 'campaign' ? ` (${KIND[e.kind] ?? e.kind})` : '';
  switch (e.event) {
    case 'imported': return `loaded from the CSV${e.detail ? ` (${e.detail})` : ''}`;
    // Still waiting: why (a legal rule and until when, or the dispatcher's reason: window, caps, pacing).
    case 'queued': return `queued${kind}${e.detail ? ` — ${e.detail.replace(/^window$/, 'waiting for the send window').replace(/^caps$/, 'waiting for its line\'s caps').replace(/^pacing$/, 'waiting for its line\'s pace')}` : ''}`;
    case 'sent': return `sent${kind}${e.channel ? ` by ${e.channel === 'imessage' ? 'iMessage' : e.channel.toUpperCase()}` : ''}`;
    case 'delivered': return `delivered${kind}`;
    case 'read': return `read${kind}`;
    case 'failed': return `failed${kind}${e.detail ? `: ${e.detail}` : ''}`;
    case 'unconfirmed': return `unconfirmed${kind}: the carrier never confirmed delivery (may have been delivered)`;
    case 'cancelled': return `cancelled before sending${kind}`;
    case 'skipped': return `not sent${kind}: ${e.detail ?? 'opted out'}`;
    case 'expired': return `not sent${kind}: its send-by time passed${e.detail ? ` (${e.detail})` : ''}`;
    case 'reply': return `replied${e.detail ? ` (${e.detail})` : ''}`;
    case 'opt_out': return `opted out${e.detail ? ` (${e.detail})` : ''}`;
    case 'opt_in': return `opted back in${e.detail ? ` (${e.detail})` : ''}`;
    default: return e.event;
  }
}

export function recipientLookupCard(campaignId, zone) {
  const formId = 'lookup-form';
  const phone = h('input', { name: 'phone', id: `${formId}-phone`, type: 'tel', inputmode: 'tel', autocomplete: 'off', placeholder: '+14155550123 or (415) 555-0123', 'aria-describedby': `${formId}-phone-error` });
  const out = h('div', { 'data-section': 'lookup-result' });
  const form = h(
    'form',
    { class: 'upload', id: formId, role: 'search', novalidate: true },
    h('label', { for: `${formId}-phone`, class: 'sr-label' }, 'Phone number'),
    phone,
    h('button', { type: 'submit' }, 'Look up'),
    errorSlot('phone', formId),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const typed = phone.value.trim();
    if (!typed) return showFieldErrors(form, [{ name: 'phone', message: 'Type the phone number to look up.' }]);
    showFieldErrors(form, []);
    out.replaceChildren(h('p', { class: 'muted' }, 'Looking up…'));
    try {
      const r = await api('GET', `campaigns/${campaignId}/report/recipient?phone=${encodeURIComponent(typed)}`);
      const status = [
        h('strong', { 'data-lookup': 'phone' }, r.phone),
        r.recipient ? ' is a recipient of this campaign' : ' is not among this campaign’s recipients',
        r.optedOut ? h('span', { class: 'badge status-cancelled', 'data-lookup': 'opted-out' }, ' opted out') : null,
        '.',
      ];
      const rows = r.events.map((e) => [when(e.at, zone, true), h('span', { 'data-event': e.event }, what(e)), e.line ?? '', e.text ? h('span', { class: 'reply-body' }, e.text) : '']);
      out.replaceChildren(
        h('p', {}, ...status),
        table([`When (${zone})`, 'What', 'Line', 'Text'], rows, { name: 'lookup', empty: 'Nothing happened with this number in this campaign.' }),
        r.truncated ? h('p', { class: 'muted' }, `Showing the latest ${r.events.length} events.`) : '',
      );
    } catch (err) {
      out.replaceChildren();
      const rest = showFieldErrors(form, (err.issues ?? []).filter((i) => i.path === 'phone').map((i) => ({ name: 'phone', message: `${i.message.charAt(0).toUpperCase()}${i.message.slice(1)}.` })));
      if (!err.issues?.some((i) => i.path === 'phone') || rest.length) out.replaceChildren(errorBox(err));
    }
  });
  return h('div', { class: 'card wide', 'data-section': 'lookup' }, h('h2', {}, 'Look up a recipient'), h('p', { class: 'muted' }, 'What happened with one person: messages, delivery, replies, opt-outs.'), form, out);
}
