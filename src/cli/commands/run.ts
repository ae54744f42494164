import { InvalidArgumentError, type Command } from 'commander';
import type { WorkerOptions } from '../../dispatch/worker.ts';
import { withApp } from '../run-command.ts';
import { untilSignal } from '../signals.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

interface RunFlags {
  once?: boolean;
  leaseMs?: number;
  batchSize?: number;
  maxInFlight?: number;
  pollMs?: number;
  settleMs?: number;
}

/**
 * `bluecast run`: the worker. node-cron ticks the scheduler, the dispatcher
 * claims and sends, the reconciler tidies expired leases. SIGTERM/SIGINT stop
 * claiming, hand back what has not gone out, let sends in flight finish
 * (aborted after 8 s), and exit within 10 s. `--once`: everything due now,
 * then exit.
 */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the scheduler and dispatcher (until SIGTERM, or --once)')
    .option('--once', 'process everything due now; exit when nothing is due and nothing is in flight')
    .option('--lease-ms <ms>', 'lease of a claimed message', positiveInt)
    .option('--batch-size <n>', 'messages per claim', positiveInt)
    .option('--max-in-flight <n>', 'claimed messages held at once by this worker', positiveInt)
    .option('--poll-ms <ms>', 'wait between polls when nothing is due', positiveInt)
    .option('--settle-ms <ms>', 'wait before an unanswered send is looked up in the provider history', positiveInt)
    .action(async (flags: RunFlags) => {
      const [{ createDispatchWorker }, { createProgressReporter }] = await Promise.all([import('../../dispatch/compose.ts'), import('../../dispatch/progress.ts')]);
      await withApp(
        async (app) => {
          const options: Partial<WorkerOptions> = {};
          if (flags.leaseMs) options.leaseMs = flags.leaseMs;
          if (flags.batchSize) options.batchSize = flags.batchSize;
          if (flags.maxInFlight) options.maxInFlight = flags.maxInFlight;
          if (flags.pollMs) options.pollIntervalMs = flags.pollMs;
          if (flags.settleMs) options.ambiguousSettleMs = flags.settleMs;
          const progress = createProgressReporter({ pool: app.db.pool, logger: app.logger });
          const worker = createDispatchWorker(app, { options, onEvent: (e) => progress.onEvent(e) });

          const signals = untilSignal((sig) => {
            app.logger.info({ signal: sig }, 'stopping: no new claims, finishing in-flight sends');
            void worker.stop();
          });
          progress.start();
          try {
            if (flags.once) {
              const summary = await worker.runOnce();
              await worker.stop();
              console.log(JSON.stringify(summary));
            } else {
              worker.start();
              await signals.promise;
              await worker.stop();
            }
          } finally {
            await progress.stop();
            signals.dispose();
          }
        },
        { migrate: true },
      );
    });
}
