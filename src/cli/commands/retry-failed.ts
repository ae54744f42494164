import type { Command } from 'commander';
import { withApp } from '../run-command.ts';

/**
 * `bluecast campaign retry-failed NAME` (or `bluecast retry-failed NAME` when
 * no `campaign` command is registered before this one): re-queue the failed
 * messages of a campaign, with a fresh attempt budget; delivered ones are
 * never touched, unconfirmed ones only with --include-unconfirmed. Their runs
 * (and a completed one-off campaign) reopen in the same transaction, so the
 * next `bluecast run` sends them.
 */
export function registerRetryFailedCommand(program: Command): void {
  const parent = program.commands.find((c) => c.name() === 'campaign') ?? program;
  parent
    .command('retry-failed')
    .description("re-queue a campaign's failed messages (never a delivered one)")
    .argument('<name>', 'campaign name (or id)')
    .option('--include-unconfirmed', 'also re-queue messages the carrier never confirmed (the person may already have them)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean; includeUnconfirmed?: boolean }) => {
      // Loaded when the command runs, like the other commands (bluecast --help stays fast).
      const { retryFailedMessages } = await import('../../campaigns/retry-failed.ts');
      await withApp(async (app) => {
        const result = await retryFailedMessages(app.db, name, { includeUnconfirmed: opts.includeUnconfirmed === true });
        if (opts.json) console.log(JSON.stringify(result));
        else console.log(`re-queued ${result.requeued} failed message(s) of ${result.campaign}`);
      });
    });
}
