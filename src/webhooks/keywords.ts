/**
 * Consent keywords. A reply is a keyword only when the whole message is the
 * word (any case), so "please stop texting me" is an ordinary reply that a
 * person reads, while "Stop." opts out at once.
 */
export const OPT_OUT_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
export const OPT_IN_WORDS = ['START', 'UNSTOP'] as const;

export type ConsentKeyword = { kind: 'opt_out' | 'opt_in'; keyword: string };

const optOut = new Set<string>(OPT_OUT_WORDS);
const optIn = new Set<string>(OPT_IN_WORDS);

// Spaces, punctuation and symbols around the word ("Stop!!", "'quit'", " END. ")
// do not change what it means.
const EDGES = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

export function classifyKeyword(body: string): ConsentKeyword | null {
  if (body.length > 64) return null; // a keyword message is short; skip work on long texts
  const word = body.replace(EDGES, '').toUpperCase();
  if (optOut.has(word)) return { kind: 'opt_out', keyword: word };
  if (optIn.has(word)) return { kind: 'opt_in', keyword: word };
  return null;
}
