import { describe, expect, it } from 'vitest';
import { exponentialDelay } from '../../src/lib/backoff.ts';

describe('exponentialDelay: the one backoff', () => {
  const b = { baseMs: 100, maxMs: 1_000 };
  it('doubles per step up to the cap, without jitter', () => {
    expect([0, 1, 2, 3, 4, 5].map((s) => exponentialDelay(s, b))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
  it('a huge or negative step stays a finite number within the bounds', () => {
    expect(exponentialDelay(10_000, b)).toBe(1_000);
    expect(exponentialDelay(-3, b)).toBe(100);
    expect(exponentialDelay(Number.MAX_SAFE_INTEGER, b, 'equal', () => 0.5)).toBe(750);
  });
  it('equal jitter stays in [delay/2, delay]; full jitter in [0, delay)', () => {
    expect(exponentialDelay(2, b, 'equal', () => 0)).toBe(200);
    expect(exponentialDelay(2, b, 'equal', () => 0.999999)).toBe(400);
    expect(exponentialDelay(2, b, 'full', () => 0)).toBe(0);
    expect(exponentialDelay(2, b, 'full', () => 0.999)).toBe(399);
  });
});
