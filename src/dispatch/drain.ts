/** A promise that resolves 'late' after `ms`, and its clearing. */
export function deadline(ms: number): { late: Promise<'late'>; clear(): void } {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (t = setTimeout(() => resolve('late'), Math.max(0, ms))));
  return { late, clear: () => clearTimeout(t) };
}

/**
 * The worker's drain. Phase one: the tasks under way may finish for drainMs.
 * Phase two: `hardAbort` cuts the requests still running (their outcome is
 * then unknown and recorded as such, leases kept for the reconciler), and they
 * get what is left of `overall` to record it; without `overall` (runOnce) they
 * are waited for.
 */
export function createDrainer(inFlight: ReadonlySet<Promise<void>>, hardAbort: AbortController, drainMs: number) {
  const settleAll = () => Promise.allSettled([...inFlight]);
  /** Waits for every task (a finishing one may have tracked more); false when `late` came first. */
  async function settle(late: Promise<'late'>): Promise<boolean> {
    while (inFlight.size > 0) if ((await Promise.race([settleAll(), late])) === 'late') return false;
    return true;
  }
  return async function drain(overall?: { late: Promise<'late'> }): Promise<{ drained: boolean; abandoned: number }> {
    const first = deadline(drainMs);
    try {
      if (await settle(overall ? Promise.race([first.late, overall.late]) : first.late)) return { drained: true, abandoned: 0 };
    } finally {
      first.clear();
    }
    hardAbort.abort(new Error('worker stopping'));
    if (overall) return { drained: false, abandoned: (await settle(overall.late)) ? 0 : inFlight.size };
    while (inFlight.size > 0) await settleAll();
    return { drained: false, abandoned: 0 };
  };
}
