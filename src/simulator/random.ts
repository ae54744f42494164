import { randomFillSync } from 'node:crypto';

/*
 * Deterministic randomness: the same seed gives the same recipients with
 * iMessage, the same repliers and the same failures, run after run.
 */

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) fixed by (seed, salt, key): FNV-1a then a murmur finaliser. */
export function unitHash(seed: number, salt: string, key: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  const s = `${salt}\u0000${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h) / 0x1_0000_0000;
}

/** A seeded stream of numbers in [0, 1) (mulberry32), for faults drawn per request. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/*
 * Unpredictable ids (message, request and event ids), cut from a pool of
 * random bytes refilled 4 KiB at a time: one randomBytes call per id was a
 * visible share of the simulator's CPU at thousands of sends a second.
 */
let pool = Buffer.alloc(0);
let used = 0;
export function randomToken(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (used + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(4096));
    used = 0;
  }
  const s = pool.toString(encoding, used, used + bytes);
  used += bytes;
  return s;
}
