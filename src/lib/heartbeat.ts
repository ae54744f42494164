/**
 * Liveness of a loop: the loop beats at every turn, /healthz asks whether the
 * last beat is older than `stalledAfterMs` (a claim stuck on a hung
 * connection, an await that never settles).
 */
export interface Heartbeat {
  beat(): void;
  /** Milliseconds since the last beat (since creation before the first). */
  sinceLastBeatMs(now?: number): number;
  readonly stalledAfterMs: number;
}

export function createHeartbeat(stalledAfterMs: number, now: () => number = Date.now): Heartbeat {
  let last = now();
  return {
    beat: () => {
      last = now();
    },
    sinceLastBeatMs: (at = now()) => at - last,
    stalledAfterMs,
  };
}
