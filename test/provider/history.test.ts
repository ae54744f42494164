import { describe, expect, it } from 'vitest';
import { matchSentEntry } from '../../src/provider/history.ts';

const at = Date.parse('2026-12-01T12:00:00Z');
const entry = (o: { message?: string; to?: string; from?: string; timestamp: number }) => ({ to: '+14155550100', from: '+14155550199', message: 'Hi', ...o });

describe('one history matcher, on provider time', () => {
  it('matches the same text after `since`, whether the provider writes seconds or milliseconds', () => {
    const since = new Date(at - 5_000);
    for (const timestamp of [at, at / 1000]) {
      expect(matchSentEntry([entry({ timestamp })], { to: '+14155550100', body: 'Hi', since })).toMatchObject({ timestamp });
    }
    // Sent before our claim: not our send.
    expect(matchSentEntry([entry({ timestamp: (at - 60_000) / 1000 })], { body: 'Hi', since })).toBeNull();
  });

  it('checks text, thread and line, and picks the entry nearest to our send', () => {
    const list = [entry({ timestamp: at / 1000 - 600, message: 'Hi' }), entry({ timestamp: at / 1000 + 2 }), entry({ timestamp: at / 1000, message: 'Bye' })];
    expect(matchSentEntry(list, { body: 'Hi', near: new Date(at) })).toBe(list[1]);
    expect(matchSentEntry(list, { body: 'Hi', from: '+14155550111' })).toBeNull();
    expect(matchSentEntry(list, { body: 'Hi', to: '+14155550101' })).toBeNull();
  });
});
