/**
 * A background task that repeats one round of work with a wait between
 * rounds, for the services that poll the database (webhook processor,
 * delivery reconciler, rollup compactor). A round's error never ends the
 * loop: the database may be away for a while.
 */
export interface PollLoop {
  start(): void;
  /** Ends the current wait at once; a wake during a round ends the next wait at once. */
  wake(): void;
  /** Lets the round in progress finish and starts no other; resolves when it has ended. */
  stop(): Promise<void>;
}

export interface PollLoopOptions {
  round: () => Promise<unknown>;
  intervalMs: number;
  /** Told each failed round; returns the wait before the next one (the interval when nothing is returned). */
  onError: (err: unknown, failuresInARow: number) => number | void;
  /** Wait an interval before the first round instead of starting with one. */
  delayFirst?: boolean;
  /** Called as stop() begins, before the round in progress is waited for (e.g. to abort its requests). */
  onStop?: () => void;
}

export function createPollLoop(o: PollLoopOptions): PollLoop {
  let running = false;
  let woken = false;
  let endWait: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || !running) {
        woken = false;
        resolve();
        return;
      }
      const end = () => {
        clearTimeout(timer);
        endWait = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      endWait = end;
    });

  async function run(): Promise<void> {
    let failures = 0;
    if (o.delayFirst) await wait(o.intervalMs);
    while (running) {
      woken = false;
      let delay = o.intervalMs;
      try {
        await o.round();
        failures = 0;
      } catch (err) {
        failures++;
        delay = o.onError(err, failures) ?? o.intervalMs;
      }
      if (!running) break;
      await wait(delay);
    }
  }

  return {
    start() {
      if (running || stopping) return;
      running = true;
      loop = run();
    },
    wake() {
      woken = true;
      endWait?.();
    },
    stop() {
      stopping ??= (async () => {
        running = false;
        o.onStop?.();
        endWait?.();
        await loop;
      })();
      return stopping;
    },
  };
}
