// bluecast dashboard: one event of a thread's timeline as the operator reads
// it: a message (ours or theirs) with its delivery state and tapback buttons,
// a consent change, or one of the operator's tapbacks and read receipts.
import { h } from './dom.js';

// Words, not emoji: a browser without an emoji font shows empty boxes.
export const TAPBACKS = [['love', 'Love'], ['like', 'Like'], ['dislike', 'Dislike'], ['laugh', 'Haha'], ['emphasize', '!!'], ['question', '?']];
// As the Messages app words them.
const TAPPED = { love: 'Loved', like: 'Liked', dislike: 'Disliked', laugh: 'Laughed at', emphasize: 'Emphasized', question: 'Questioned' };

export const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '');

// Our answers and care messages go out within seconds: "queued" would read as stuck.
const ON_ITS_WAY = { queued: 'sending…', sending: 'sending…', retrying: 'sending again…' };

/** Whether an outbound message of the thread is still on its way to the provider (the view refreshes until it is not). */
export const onItsWay = (e) => e.direction === 'out' && e.kind !== 'campaign' && e.status in ON_ITS_WAY;

/** What became of one of our messages, in the operator's words. */
export function deliveryLabel(e) {
  if (e.read_at) return 'read';
  if (e.delivered_at) return 'delivered';
  if (onItsWay(e)) return ON_ITS_WAY[e.status];
  return e.status ?? '';
}

// Where a consent change came from, as the operator would say it (the rest as recorded).
const BY = { api: 'by an operator', cli: 'by an operator (CLI)' };
const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

const short = (text) => (text.length > 80 ? `${text.slice(0, 79)}…` : text);

/**
 * One <li> of the timeline. `onTapback(name, e)` runs when a tapback button
 * is pressed; there are none for an opted-out person.
 */
export function eventItem(e, { optedOut, onTapback }) {
  if (e.kind === 'read_receipt') {
    return h('li', { class: 'event mark', 'data-kind': e.kind }, h('span', { text: `You sent a read receipt · ${when(e.at)}` }));
  }
  if (e.kind === 'tapback') {
    return h(
      'li',
      { class: 'event mark', 'data-kind': e.kind, 'data-tapback': e.status },
      h('span', { text: `You ${(TAPPED[e.status] ?? e.status).toLowerCase()} “${short(e.body ?? '')}” · ${when(e.at)}` }),
    );
  }
  if (e.direction === 'none') {
    const what = e.kind === 'consent_opt_out' ? 'Opted out' : e.kind === 'consent_opt_in' ? 'Opted in' : e.kind.replace(/^consent_/, '').replace(/_/g, ' ');
    const by = e.status ? (BY[e.status] ?? `(${e.status})`) : '';
    return h('li', { class: 'event consent', 'data-kind': e.kind }, h('span', { text: `${what}${by ? ` ${by}` : ''}${e.note ? ` — ${e.note}` : ''} · ${when(e.at)}` }));
  }
  const taps = h(
    'span',
    { class: 'tapbacks', role: 'group', 'aria-label': 'Tapback' },
    h('span', { class: 'muted', text: 'Tapback:' }),
    ...TAPBACKS.map(([name, label]) =>
      h('button', {
        type: 'button',
        class: 'tap',
        title: name,
        'aria-label': `${name} this message`,
        'data-tapback': name,
        text: label,
        disabled: optedOut,
        onclick: () => onTapback(name, e),
      }),
    ),
  );
  const label = e.direction === 'in' ? (e.kind === 'reply' ? 'Them' : `Them · ${e.kind.replace(/^reply_/, '').replace(/_/g, ' ')}`) : e.kind === 'operator_reply' ? 'You' : capital(e.kind.replace(/_/g, ' '));
  const status = e.direction === 'out' ? deliveryLabel(e) : '';
  return h(
    'li',
    { class: `event ${e.direction}`, 'data-kind': e.kind },
    h('span', { class: 'who muted', text: `${label} · ${when(e.at)}${status ? ` · ${status}` : ''}` }),
    h('span', { class: 'bubble', text: e.body ?? '' }),
    e.note && e.direction === 'out' ? h('span', { class: 'muted note', text: e.note }) : undefined,
    e.body && !optedOut ? taps : undefined,
  );
}
