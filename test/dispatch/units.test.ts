import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/dispatch/backoff.ts';
import { manualClock } from '../../src/dispatch/clock.ts';
import { createLocalPacer } from '../../src/dispatch/pacing.ts';
import { formatProgress } from '../../src/dispatch/progress.ts';
import { createTimezoneResolver } from '../../src/dispatch/timezone.ts';
import { isInWindow, nextWindowOpening } from '../../src/dispatch/window.ts';

describe('send window', () => {
  const day = { startMinute: 9 * 60, endMinute: 21 * 60 };
  it('is [start, end) in local time', () => {
    expect(isInWindow(new Date('2026-01-15T13:59:59Z'), 'America/New_York', day)).toBe(false); // 08:59:59
    expect(isInWindow(new Date('2026-01-15T14:00:00Z'), 'America/New_York', day)).toBe(true); // 09:00
    expect(isInWindow(new Date('2026-01-16T01:59:59Z'), 'America/New_York', day)).toBe(true); // 20:59:59
    expect(isInWindow(new Date('2026-01-16T02:00:00Z'), 'America/New_York', day)).toBe(false); // 21:00
  });
  it('spans midnight when start > end, and null bounds mean any time', () => {
    const night = { startMinute: 22 * 60, endMinute: 6 * 60 };
    expect(isInWindow(new Date('2026-01-15T04:00:00Z'), 'UTC', night)).toBe(true);
    expect(isInWindow(new Date('2026-01-15T12:00:00Z'), 'UTC', night)).toBe(false);
    expect(isInWindow(new Date('2026-01-15T12:00:00Z'), 'UTC', { startMinute: null, endMinute: null })).toBe(true);
  });
  it('next opening: later today, or tomorrow after the window closed', () => {
    expect(nextWindowOpening(new Date('2026-01-15T12:00:00Z'), 'America/New_York', day)).toEqual(new Date('2026-01-15T14:00:00Z'));
    expect(nextWindowOpening(new Date('2026-01-16T03:30:00Z'), 'America/New_York', day)).toEqual(new Date('2026-01-16T14:00:00Z'));
    expect(nextWindowOpening(new Date('2026-01-15T15:00:00Z'), 'America/New_York', day)).toEqual(new Date('2026-01-15T15:00:00Z'));
  });
  it('next opening across a DST change keeps 09:00 local', () => {
    // Sat 2026-03-07 22:00 EST → the window opens Sun 2026-03-08 09:00 EDT = 13:00Z.
    expect(nextWindowOpening(new Date('2026-03-08T03:00:00Z'), 'America/New_York', day)).toEqual(new Date('2026-03-08T13:00:00Z'));
    // Back in November: 09:00 EST = 14:00Z.
    expect(nextWindowOpening(new Date('2026-11-01T03:00:00Z'), 'America/New_York', day)).toEqual(new Date('2026-11-01T14:00:00Z'));
  });
});

describe('recipient time zone', () => {
  const zones = createTimezoneResolver();
  it('prefers the CSV column, then the area code, then the campaign zone', async () => {
    expect(await zones.zoneFor('+12125550100', 'Europe/Paris', 'America/Chicago')).toBe('Europe/Paris');
    expect(await zones.zoneFor('+12125550100', 'Not/AZone', 'America/Chicago')).toBe('America/New_York');
    expect(await zones.zoneFor('+13105550100', null, 'America/New_York')).toBe('America/Los_Angeles');
    expect(await zones.zoneFor('+442079460958', null, 'America/New_York')).toBe('Europe/London');
    // A number the metadata can only place in "North America": the campaign's zone.
    expect(await zones.zoneFor('+15555550100', null, 'America/Denver')).toBe('America/Denver');
  });
});

describe('local token bucket', () => {
  it('allows the burst, then the rate; waits are what the next token needs', async () => {
    const clock = manualClock(new Date('2026-01-01T00:00:00Z'));
    const pacer = createLocalPacer(clock);
    for (let i = 0; i < 5; i++) expect(await pacer.take('+1', 2, 5)).toBe(0);
    expect(await pacer.take('+1', 2, 5)).toBe(500);
    expect(await pacer.take('+2', 2, 5)).toBe(0); // lines are independent
    clock.advance(500);
    expect(await pacer.take('+1', 2, 5)).toBe(0);
    expect(await pacer.take('+1', 2, 5)).toBe(500);
    clock.advance(60_000);
    for (let i = 0; i < 5; i++) expect(await pacer.take('+1', 2, 5)).toBe(0); // never more than the burst
    expect(await pacer.take('+1', 2, 5)).toBeGreaterThan(0);
  });
});

describe('small pieces', () => {
  it('backoff grows, is capped, and honours Retry-After', () => {
    const p = { baseMs: 1000, maxMs: 8000 };
    expect(retryDelayMs(1, p, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(3, p, undefined, () => 1)).toBe(4000);
    expect(retryDelayMs(10, p, undefined, () => 1)).toBe(8000);
    expect(retryDelayMs(1, p, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, p, 30_000, () => 1)).toBe(30_000);
  });
  it('progress line', () => {
    expect(formatProgress({ sent: 10, failed: 1, remaining: 89, rate: 2.5, etaSeconds: 35.6 })).toBe('sent 10 · failed 1 · remaining 89 · 2.5/s · ETA 36s');
  });
});
