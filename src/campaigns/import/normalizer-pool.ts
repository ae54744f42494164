import { Worker } from 'node:worker_threads';
import type { ColumnPlan } from './columns.ts';
import { runParseJob, type JobResult, type ParseJob } from './parse-job.ts';

/** Parses and normalises jobs; results come back per call (callers keep order). */
export interface BatchNormalizer {
  readonly threads: number;
  /** Takes ownership of job.bytes (transferred to a worker). */
  normalize(job: ParseJob): Promise<JobResult>;
  close(): Promise<void>;
}

/** Same work on the calling thread: for small files, where starting workers costs more than it saves. */
export function inThreadNormalizer(plan: ColumnPlan): BatchNormalizer {
  return {
    threads: 0,
    normalize: async (job) => runParseJob(plan, job),
    close: async () => undefined,
  };
}

// Compiled (dist/), the worker is plain JavaScript. From the sources, a plain-JS
// entry registers tsx in the thread, then loads normalize-worker.ts.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './normalize-worker.cjs' : './normalize-worker.js', import.meta.url);

interface Pending {
  resolve(out: JobResult): void;
  reject(err: Error): void;
}

/** `threads` worker threads; each batch goes to the least busy one. */
export function workerNormalizer(plan: ColumnPlan, threads: number): BatchNormalizer {
  let nextId = 0;
  let failed: Error | undefined;
  const slots = Array.from({ length: threads }, () => {
    const worker = new Worker(workerUrl, {
      workerData: plan,
      execArgv: [],
      // A worker's live data is the phone metadata and one batch; small heaps
      // make V8 collect early instead of growing toward the import's RSS budget.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
    });
    const pending = new Map<number, Pending>();
    const failAll = (err: Error) => {
      failed ??= err;
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    worker.on('message', (msg: { id: number; out?: JobResult; error?: string }) => {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.out) p.resolve(msg.out);
      else p.reject(new Error(`normalisation failed: ${msg.error}`));
    });
    worker.on('error', (err) => failAll(err));
    worker.on('exit', (code) => {
      if (pending.size) failAll(new Error(`normalisation worker exited (code ${code})`));
    });
    return { worker, pending };
  });

  let closing: Promise<void> | undefined;
  return {
    threads,
    normalize(job) {
      if (failed) return Promise.reject(failed);
      const slot = slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = nextId++;
      return new Promise<JobResult>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ id, job }, [job.bytes.buffer as ArrayBuffer]);
      });
    },
    close() {
      closing ??= Promise.all(slots.map((s) => s.worker.terminate())).then(() => undefined);
      return closing;
    },
  };
}
