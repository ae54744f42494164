/** One item waiting in a batch; the writer settles it. */
export interface PendingWrite<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export interface WriteBatcherOptions<T, R> {
  /**
   * Writes one batch and settles each of its items. A rejection fails every
   * item of the batch that the writer has not settled yet.
   */
  write(batch: PendingWrite<T, R>[]): Promise<void>;
  /** Items per write. */
  maxBatch: number;
  /** Writes in flight at once (each usually holds a pool connection). */
  maxInFlight: number;
}

export interface WriteBatcher<T, R> {
  /** Settles once the write that holds the item has settled it. */
  add(item: T): Promise<R>;
  /** Resolves when nothing is queued or being written. */
  idle(): Promise<void>;
}

/**
 * Group commit: items added in the same turn of the event loop, and those
 * that arrive while the writes in flight are busy, go out together as one
 * write. The number of round trips so follows the database's speed rather than
 * the request rate: under light load an item is written at the next turn,
 * under heavy load batches grow up to `maxBatch`. Every item's promise settles
 * only with the write that holds it, so a caller that awaits it knows its row
 * is committed.
 */
export function createWriteBatcher<T, R>(opts: WriteBatcherOptions<T, R>): WriteBatcher<T, R> {
  let queue: PendingWrite<T, R>[] = [];
  let inFlight = 0;
  let scheduled = false;
  let idleWaiters: (() => void)[] = [];

  function settleIdle(): void {
    if (inFlight > 0 || queue.length > 0 || scheduled) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  function schedule(): void {
    if (scheduled || queue.length === 0 || inFlight >= opts.maxInFlight) return;
    scheduled = true;
    // The rest of this turn's items join the batch.
    setImmediate(flush);
  }

  function flush(): void {
    scheduled = false;
    while (queue.length > 0 && inFlight < opts.maxInFlight) {
      const batch = queue.length <= opts.maxBatch ? queue : queue.slice(0, opts.maxBatch);
      queue = batch === queue ? [] : queue.slice(opts.maxBatch);
      inFlight++;
      opts
        .write(batch)
        .catch((err: unknown) => batch.forEach((p) => p.reject(err)))
        .finally(() => {
          inFlight--;
          schedule();
          settleIdle();
        });
    }
  }

  return {
    add: (item) =>
      new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      }),
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      }),
  };
}
