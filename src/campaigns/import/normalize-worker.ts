import { parentPort, workerData } from 'node:worker_threads';
import type { ColumnPlan } from './columns.ts';
import { runParseJob, type ParseJob } from './parse-job.ts';

/** Worker thread: parses and normalises jobs for one import, with the plan it was started with. */
const plan = workerData as ColumnPlan;
const port = parentPort;
if (!port) throw new Error('normalize-worker must run in a worker thread');

port.on('message', (msg: { id: number; job: ParseJob }) => {
  try {
    const out = runParseJob(plan, msg.job);
    port.postMessage({ id: msg.id, out }, [out.copy.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
