import type { Command } from 'commander';
import { NotFoundError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';

/**
 * `bluecast campaign retry-failed NAME` (or `bluecast retry-failed NAME` when
 * no `campaign` command is registered before this one): re-queue the failed
 * messages of a campaign, with a fresh attempt budget; delivered ones are
 * never touched. Their runs (and a completed one-off campaign) reopen in the
 * same transaction, so the next `bluecast run` sends them.
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
      const [{ inTransaction }, { reportCampaign }, { reopenCompletedCampaign, reopenRuns, requeueFailedMessages }] = await Promise.all([
        import('../../db/sql/queryable.ts'),
        import('../../db/sql/report-campaign.ts'),
        import('../../db/sql/retry-failed.ts'),
      ]);
      await withApp(async (app) => {
        const result = await inTransaction(app.db.pool, async (tx) => {
          const campaign = await reportCampaign(tx, name);
          if (!campaign) throw new NotFoundError(`campaign "${name}" not found`);
          const { count, runIds } = await requeueFailedMessages(tx, { campaignId: campaign.id, now: new Date(), includeUnconfirmed: opts.includeUnconfirmed === true });
          const runs = await reopenRuns(tx, runIds);
          if (count > 0) await reopenCompletedCampaign(tx, campaign.id);
          return { campaign: campaign.name, requeued: count, runsReopened: runs };
        });
        if (opts.json) console.log(JSON.stringify(result));
        else console.log(`re-queued ${result.requeued} failed message(s) of ${result.campaign}`);
      });
    });
}
