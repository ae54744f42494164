/**
 * Runs callbacks at given times with one timer for the earliest, so that a
 * send only pays for a heap push (O(log n)) and due work runs in batches.
 */
export class Scheduler {
  private heap: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private stopped = false;

  at(when: number, fn: () => void): void {
    if (this.stopped) return;
    const item = { at: when, seq: this.seq++, fn };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(h[p]!, item)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
    if (when < this.armedAt) this.arm(when);
  }

  get size(): number {
    return this.heap.length;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.heap = [];
  }

  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private arm(when: number): void {
    clearTimeout(this.timer);
    this.armedAt = when;
    this.timer = setTimeout(() => this.tick(), Math.max(0, when - Date.now()));
    this.timer.unref();
  }

  private pop(): { at: number; seq: number; fn: () => void } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!top || !last || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mv = last;
      if (l < h.length && this.less(h[l]!, mv)) {
        m = l;
        mv = h[l]!;
      }
      if (r < h.length && this.less(h[r]!, mv)) m = r;
      if (m === i) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
    return top;
  }

  private tick(): void {
    this.armedAt = Infinity;
    const now = Date.now();
    while (this.heap.length && this.heap[0]!.at <= now) {
      const item = this.pop()!;
      try {
        item.fn();
      } catch {
        // a failing callback must not stop the others
      }
    }
    if (this.heap.length && !this.stopped) this.arm(this.heap[0]!.at);
  }
}
