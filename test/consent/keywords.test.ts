import { describe, expect, it } from 'vitest';
import { createKeywordClassifier, normalizeReply } from '../../src/consent/keywords.ts';

const classifier = createKeywordClassifier();
const kind = (text: string) => classifier.classify(text)?.kind ?? 'none';

// Real shapes of replies, both ways (see the rules in src/consent/keywords.ts).
const OPT_OUT: string[] = [
  'STOP', 'stop', 'Stop', ' Stop. ', 'STOP!!!', '"QUIT"', '¡STOP!', '\tstop\n', 'Stop.', 'stop 🛑',
  'STOP ❤️', 'STOP ✋️', 'STOP 🤦‍♂️', 'Stop\u200B', '\u200BST\u200DOP', 'ＳＴＯＰ', 'ｓｔｏｐ', 'S T O P', 'STOP 👍🏽', 'STOP 🇺🇸',
  'STOPALL', 'STOP ALL', 'stop all', 'Stop All.', 'UNSUBSCRIBE', 'unsubscribe!', 'Unsubscribe me', 'CANCEL', 'Cancel', 'cancel please',
  'END', 'end', 'QUIT', 'quit it', 'REVOKE', 'revoke consent', 'OPTOUT', 'OptOut', 'opt out', 'OPT-OUT', 'Opt–out', 'opt_out',
  'Stop please', 'please stop', 'Please stop texting me', 'stop texting me', 'STOP SENDING ME THESE', 'stop it', 'pls stop',
  'I want to unsubscribe', 'Take me off your list. Stop.', 'stop, please!', "Don't. Stop.", 'no, do not text me, stop', 'Stop stop stop',
  'STOP\uFE0F', 'stop\u2060', 'St\u00ADop', 'Stop 😡😡', 'cancel my subscription', 'I said STOP', 'STOP!!! 🙏', 'Stop.\nThanks',
];
const OPT_IN: string[] = ['START', 'start!', ' Unstop ', 'YES', 'yes', 'Yes.', 'ＳＴＡＲＴ', 'START ✅', 'unstop'];
const ORDINARY: string[] = [
  'Thanks!', '', '   ', 'See you there', 'stopp', 'stopped by yesterday', 'unstoppable', 'cancelled', 'weekend plans?',
  'Sounds good', 'Who is this?', 'yes please', '👍', 'ok', 'Startup news', 'restart', 'ending soon?', 'quitting time',
];
const POSSIBLE: string[] = [
  "don't stop", 'Dont stop!', 'do not stop', "I can't stop laughing 😂", 'cannot stop', 'never stop', "Please don't ever stop sending these",
  'do not cancel', "won't quit", "please don't unsubscribe me",
  // No FCC word, but a wish to hear no more may be meant (rule 5).
  'Remove me from your list', 'take me off this', 'Not interested', 'not interested right now', 'Wrong number!', 'leave me alone',
  "Don't text me again", 'do not contact me', 'lose my number', 'No more texts please', 'unsub', 'This is spam',
];

describe('consent keywords: a table of real shapes', () => {
  it('has at least 50 shapes both ways', () => {
    expect(OPT_OUT.length + OPT_IN.length).toBeGreaterThanOrEqual(50);
    expect(ORDINARY.length + POSSIBLE.length).toBeGreaterThanOrEqual(25);
  });

  it.each(OPT_OUT)('%j opts out', (text) => expect(kind(text)).toBe('opt_out'));
  it.each(OPT_IN)('%j opts in', (text) => expect(kind(text)).toBe('opt_in'));
  it.each(ORDINARY)('%j is an ordinary reply', (text) => expect(kind(text)).toBe('none'));
  it.each(POSSIBLE)('%j is not an opt-out but flagged for a person', (text) => expect(kind(text)).toBe('possible_opt_out'));

  it('names the keyword in upper case, phrases joined', () => {
    expect(classifier.classify('  unsubscribe. ')).toEqual({ kind: 'opt_out', keyword: 'UNSUBSCRIBE' });
    expect(classifier.classify('OPT-OUT')).toEqual({ kind: 'opt_out', keyword: 'OPTOUT' });
    expect(classifier.classify('please stop texting me')).toEqual({ kind: 'opt_out', keyword: 'STOP' });
  });

  it('normalises width, case, emoji, joiners and punctuation', () => {
    expect(normalizeReply('ＳＴＯＰ 🤦‍♂️!!  Please')).toBe('stop please');
    expect(normalizeReply("Don't\u200B stop")).toBe('dont stop');
  });
});

describe('configured keyword lists', () => {
  const es = createKeywordClassifier({ optOut: ['BAJA', 'ALTO', 'PARAR', 'CANCELAR'], optIn: ['START', 'COMENZAR', 'SÍ'] });

  it.each(['BAJA', 'baja.', 'Alto 🛑', 'PARAR', 'cancelar'])('%j opts out in Spanish', (text) => expect(es.classify(text)?.kind).toBe('opt_out'));
  it.each(['COMENZAR', 'si', 'Sí', 'start'])('%j opts in in Spanish', (text) => expect(es.classify(text)?.kind).toBe('opt_in'));

  it('keeps the FCC words on whatever the configuration', () => {
    for (const text of ['STOP', 'please stop', 'unsubscribe me', 'opt out', 'end', 'revoke', 'quit']) expect(es.classify(text)?.kind).toBe('opt_out');
  });

  it('replaces the opt-in list (YES is no longer one) and never lets an opt-out word opt in', () => {
    expect(es.classify('YES')).toBeNull();
    expect(createKeywordClassifier({ optIn: ['STOP', 'GO'] }).classify('STOP')?.kind).toBe('opt_out');
  });
});
