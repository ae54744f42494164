import type { ClaimedMessage, DispatchStore, Deferral } from './store.ts';

export interface LineAssignment {
  /** Message id → line to send from; null lets the provider pick. */
  lines: Map<number, string | null>;
  /** Messages of new contacts for which every pool line is at its cap. */
  capped: Deferral[];
}

/**
 * Choose the line of each claimed message and record it before any send:
 * - a line recorded by an earlier attempt stays (history lookups depend on it);
 * - a contact with a sticky line keeps it;
 * - a new contact gets the least-loaded pool line that is under both of the
 *   campaign's new-contact caps (per hour, per day), ties broken at random so
 *   new contacts spread over the pool; none under the caps → wait.
 * Counting and recording happen under one lock so workers cannot both fill the
 * last slot of a line.
 */
export async function assignLines(
  store: DispatchStore,
  p: { workerId: string; now: Date; rows: ClaimedMessage[]; capDeferMs: number; random?: () => number },
): Promise<LineAssignment> {
  const random = p.random ?? Math.random;
  const lines = new Map<number, string | null>();
  const capped: Deferral[] = [];
  const fixed: { id: number; line: string }[] = [];
  const fresh: ClaimedMessage[] = [];
  for (const row of p.rows) {
    if (row.requested_line) lines.set(row.id, row.requested_line);
    else if (row.sticky_line) {
      lines.set(row.id, row.sticky_line);
      fixed.push({ id: row.id, line: row.sticky_line });
    } else if (row.sender_lines.length === 0) lines.set(row.id, null);
    else fresh.push(row);
  }
  if (fresh.length === 0) {
    await store.setRequestedLines(p.workerId, fixed);
    return { lines, capped };
  }
  const pool = [...new Set(fresh.flatMap((r) => r.sender_lines))];
  await store.lineTransaction(async (tx) => {
    const load = new Map((await tx.lineNewContactLoad(pool, p.now)).map((l) => [l.line, { hour: Number(l.last_hour), day: Number(l.last_day) }]));
    const chosen: { id: number; line: string }[] = [];
    for (const row of fresh) {
      let best: string | null = null;
      let bestLoad = Infinity;
      let ties = 0;
      for (const line of row.sender_lines) {
        const l = load.get(line)!;
        if (l.hour >= row.new_contacts_per_hour || l.day >= row.new_contacts_per_day) continue;
        if (l.hour < bestLoad) {
          best = line;
          bestLoad = l.hour;
          ties = 1;
        } else if (l.hour === bestLoad && random() < 1 / ++ties) {
          best = line;
        }
      }
      if (best === null) {
        capped.push({ id: row.id, at: new Date(p.now.getTime() + p.capDeferMs) });
        continue;
      }
      const l = load.get(best)!;
      l.hour++;
      l.day++;
      lines.set(row.id, best);
      chosen.push({ id: row.id, line: best });
    }
    await tx.setRequestedLines(p.workerId, [...fixed, ...chosen]);
  });
  return { lines, capped };
}
