import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';

/**
 * `bluecast campaign plan NAME [--json] [--now ISO]`: the launch forecast,
 * simulated with the dispatcher's rules (src/planner), before anything is sent.
 */
export function registerPlanCommand(program: Command): void {
  const parent = program.commands.find((c) => c.name() === 'campaign') ?? program;
  parent
    .command('plan')
    .description('forecast a campaign before launch: sends per hour and day, first and last send, finish time')
    .argument('<name>', 'campaign name (or id)')
    .option('--json', 'print JSON')
    .option('--now <iso>', 'plan as of this instant (ISO 8601) instead of now')
    .action(async (name: string, opts: { json?: boolean; now?: string }) => {
      const now = opts.now === undefined ? new Date() : new Date(opts.now);
      if (Number.isNaN(now.getTime()) || (opts.now !== undefined && !/^\d{4}-\d{2}-\d{2}T/.test(opts.now))) {
        throw new ValidationError([{ path: '--now', message: `"${opts.now}" is not an ISO 8601 time (e.g. 2026-12-01T09:00:00Z)` }]);
      }
      const [{ findCampaignForImport }, { buildPlan, formatPlan }, { planOptionsFromConfig }] = await Promise.all([
        import('../../campaigns/definition.ts'),
        import('../../planner/plan.ts'),
        import('../../planner/setup.ts'),
      ]);
      await withApp(async (app) => {
        const c = await findCampaignForImport(app.db.pool, name);
        const plan = (await buildPlan(app.db.pool, c.id, now, planOptionsFromConfig(app.config)))!;
        console.log(opts.json ? JSON.stringify(plan) : formatPlan(plan));
      }, { migrate: true });
    });
}
