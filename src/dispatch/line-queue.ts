import { assignLines, type LineAssignment } from './lines.ts';
import type { Clock } from './clock.ts';
import type { ClaimedMessage, DispatchStore } from './store.ts';

/**
 * Line assignment holds a lock every worker shares (see assignLines), so a
 * worker runs one assignment transaction at a time, and each takes every
 * batch that arrived while the previous one ran: under load the batches
 * grow instead of queueing one transaction each behind the lock. The answer
 * is by message id, so the batches of one transaction share it; `capped`
 * holds each caller's own rows only.
 */
export function createLineQueue(deps: {
  store: DispatchStore;
  workerId: string;
  clock: Clock;
  capDeferMs: number;
  random: () => number;
}): (rows: ClaimedMessage[]) => Promise<LineAssignment> {
  let queue: { rows: ClaimedMessage[]; resolve: (a: LineAssignment) => void; reject: (err: unknown) => void }[] = [];
  let running = false;

  async function run(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const group = queue;
        queue = [];
        try {
          const a = await assignLines(deps.store, {
            workerId: deps.workerId,
            now: deps.clock.now(),
            rows: group.flatMap((g) => g.rows),
            capDeferMs: deps.capDeferMs,
            random: deps.random,
          });
          for (const g of group) {
            const mine = new Set(g.rows.map((r) => r.id));
            g.resolve({ lines: a.lines, capped: a.capped.filter((c) => mine.has(c.id)) });
          }
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      running = false;
    }
  }

  return (rows) =>
    new Promise((resolve, reject) => {
      queue.push({ rows, resolve, reject });
      if (!running) void run();
    });
}
