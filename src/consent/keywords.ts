/**
 * Consent keywords as people write them.
 *
 * A reply is first normalised (normalizeReply): Unicode NFKC (full-width
 * ＳＴＯＰ, ligatures), accents dropped, case folded, emoji, skin tones, flags,
 * variation selectors, joiners and zero-width characters removed, apostrophes
 * dropped ("don't" → "dont"), other punctuation and symbols made spaces, spaces
 * collapsed. Then, in this order:
 *
 * 1. The whole reply is an opt-out keyword or phrase (STOP, STOP ALL / STOPALL,
 *    UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPT OUT / OPTOUT / OPT-OUT, plus
 *    CONSENT_OPT_OUT_KEYWORDS): opt-out.
 * 2. The whole reply is an opt-in keyword (START, UNSTOP, YES, or
 *    CONSENT_OPT_IN_KEYWORDS instead): opt-in (the handler applies it only to
 *    a contact who is opted out; otherwise "yes" is an ordinary reply).
 * 3. One of the FCC words (stop, quit, end, revoke, opt out, cancel,
 *    unsubscribe: always on, whatever the configuration) appears as a word
 *    among others ("stop please", "please stop texting me", "unsubscribe me",
 *    "cancel my subscription"): opt-out. The FCC's 2025 rule makes such a
 *    reply a valid revocation, and when in doubt consent is revoked: a person
 *    who did not mean it can write START.
 * 4. The only exception to 3: every FCC word of the reply is negated inside its
 *    clause ("don't stop", "I can't stop laughing", "never quit on me",
 *    "do not cancel"). That is not an opt-out, but it is not for a program to
 *    decide either: the reply is flagged `possible_opt_out` (stored with
 *    needs_attention) for a person to read. Clauses end at . ! ? ; , and line
 *    breaks, so "Don't. Stop." and "no, don't text, stop" do opt out.
 * 5. A reply without an FCC word that still reads like a wish to hear no
 *    more ("remove me", "take me off your list", "not interested", "wrong
 *    number", "leave me alone", "don't text me"): not a revocation the law
 *    names, so not applied by a program, but flagged `possible_opt_out` too,
 *    so that a person decides (the inbox's "needs attention").
 */

export type ConsentKeyword = { kind: 'opt_out' | 'opt_in'; keyword: string };
export type Classification = ConsentKeyword | { kind: 'possible_opt_out'; keyword: string };

/** The FCC's revocation words: always recognised, alone or among other words. */
export const FCC_WORDS = ['stop', 'quit', 'end', 'revoke', 'opt out', 'cancel', 'unsubscribe'] as const;
/** Whole-message opt-out keywords beside the FCC words. */
export const DEFAULT_OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT', 'OPT-OUT'] as const;
export const DEFAULT_OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'YES'] as const;

// Removed without a trace (they sit inside words: "St\u200Bop"): zero-width
// spaces and joiners, direction marks and overrides, soft hyphen, word joiner,
// BOM, variation selectors, tag characters, combining keycap, accents.
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u20E3\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}\p{Mn}]/gu;
// Made spaces: pictographs (emoji), skin tones, flags' regional indicators.
const PICTOGRAPHS = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}]/gu;
const APOSTROPHES = /['’‘ʼ`´]/gu;
const CLAUSE_END = /[.!?;,¡¿\n\r\u2028\u2029]+/u;
const NON_WORD = /[^\p{L}\p{N}]+/gu;

/** Normalise a whole reply (see the module comment); clauses are kept apart with " | " only by `clauses`. */
export function normalizeReply(text: string): string {
  return clauses(text).join(' ');
}

function foldClause(s: string): string {
  return s.replace(APOSTROPHES, '').replace(NON_WORD, ' ').trim();
}

function clauses(text: string): string[] {
  const folded = text.normalize('NFKC').normalize('NFD').replace(INVISIBLE, '').replace(PICTOGRAPHS, ' ').normalize('NFC').toLowerCase();
  return folded.split(CLAUSE_END).map(foldClause).filter((c) => c !== '');
}

/** A configured keyword, normalised as replies are; "" when nothing is left of it. */
export function normalizeKeyword(k: string): string {
  return normalizeReply(k);
}

// Rule 5's phrases, as normalised token runs (apostrophes dropped: "don't" is "dont").
const MAYBE_OPT_OUT = [
  'remove me', 'take me off', 'not interested', 'wrong number', 'leave me alone', 'lose my number', 'no more texts', 'no more messages',
  'dont text', 'dont message', 'dont contact', 'do not text', 'do not message', 'do not contact', 'unsub', 'spam',
].map((p) => p.split(' '));

/** The first rule-5 phrase in a clause's tokens, upper-cased, or null. */
function maybeOptOut(tokens: string[]): string | null {
  for (const phrase of MAYBE_OPT_OUT) {
    for (let i = 0; i + phrase.length <= tokens.length; i++) {
      if (phrase.every((w, k) => tokens[i + k] === w)) return phrase.join(' ').toUpperCase();
    }
  }
  return null;
}

const NEGATORS = new Set(['dont', 'not', 'never', 'cant', 'cannot', 'wont', 'doesnt', 'didnt', 'shouldnt', 'wouldnt', 'couldnt', 'isnt', 'aint', 'mustnt', 'no', 'nor']);
// Words that may stand between a negator and the word it negates ("don't ever stop", "can't even stop").
const FILLERS = new Set(['ever', 'even', 'you', 'u', 'just', 'really', 'please', 'pls', 'to', 'wanna', 'want', 'gonna', 'going', 'ya']);

/** Positions of FCC words in a clause's tokens, with whether each is negated. */
function fccHits(tokens: string[]): { word: string; negated: boolean }[] {
  const hits: { word: string; negated: boolean }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    let word: string | null = null;
    if (t === 'opt' && tokens[i + 1] === 'out') word = 'opt out';
    else if (t === 'optout') word = 'opt out';
    else if (t === 'stopall') word = 'stop';
    else if ((FCC_WORDS as readonly string[]).includes(t) && t !== 'opt out') word = t;
    if (!word) continue;
    let j = i - 1;
    while (j >= 0 && FILLERS.has(tokens[j]!)) j--;
    // "can not", "do not", "will not": the negator is the nearest non-filler word.
    const negated = j >= 0 && NEGATORS.has(tokens[j]!);
    hits.push({ word, negated });
  }
  return hits;
}

export interface KeywordClassifier {
  classify(body: string): Classification | null;
  /** The whole-message keywords in use, normalised (for the README and the CLI). */
  readonly optOut: readonly string[];
  readonly optIn: readonly string[];
}

/**
 * A classifier for the configured lists. `optOut` adds to the built-in opt-out
 * keywords (which, with the FCC words, cannot be switched off); `optIn`, when
 * given, replaces the built-in opt-in list.
 */
export function createKeywordClassifier(o: { optOut?: readonly string[]; optIn?: readonly string[] } = {}): KeywordClassifier {
  const optOut = new Map<string, string>();
  for (const k of [...DEFAULT_OPT_OUT_KEYWORDS, ...FCC_WORDS, ...(o.optOut ?? [])]) {
    const n = normalizeKeyword(k);
    if (n) optOut.set(n, n.replace(/ /g, '').toUpperCase());
  }
  const optIn = new Map<string, string>();
  for (const k of o.optIn && o.optIn.length > 0 ? o.optIn : DEFAULT_OPT_IN_KEYWORDS) {
    const n = normalizeKeyword(k);
    // An opt-out word is never an opt-in one (the law favours revocation).
    if (n && !optOut.has(n)) optIn.set(n, n.toUpperCase());
  }
  return {
    optOut: [...optOut.keys()],
    optIn: [...optIn.keys()],
    classify(body) {
      const parts = clauses(body);
      const whole = parts.join(' ');
      if (whole === '') return null;
      const exact = optOut.get(whole);
      if (exact) return { kind: 'opt_out', keyword: exact };
      // Spelled apart ("S T O P", "un subscribe"): the letters are the word.
      const tokens = whole.split(' ');
      const joined = optOut.get(tokens.join(''));
      if (joined && (tokens.length <= 2 || tokens.every((t) => t.length === 1))) return { kind: 'opt_out', keyword: joined };
      const back = optIn.get(whole);
      if (back) return { kind: 'opt_in', keyword: back };
      let negated: string | null = null;
      for (const clause of parts) {
        for (const hit of fccHits(clause.split(' '))) {
          const keyword = hit.word.replace(/ /g, '').toUpperCase();
          if (!hit.negated) return { kind: 'opt_out', keyword };
          negated ??= keyword;
        }
      }
      if (negated) return { kind: 'possible_opt_out', keyword: negated };
      for (const clause of parts) {
        const phrase = maybeOptOut(clause.split(' '));
        if (phrase) return { kind: 'possible_opt_out', keyword: phrase };
      }
      return null;
    },
  };
}
