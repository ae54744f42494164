import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';

const E164 = /^\+[1-9]\d{6,14}$/;

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
    .option('--explain <phones...>', 'for each phone (E.164): the earliest send time and the rules that decide it')
    .option('--preview <phones...>', 'for each recipient (E.164): the rendered message for the next run id, its variant, the alternatives, encoding and segments')
    .action(async (name: string, opts: { json?: boolean; now?: string; explain?: string[]; preview?: string[] }) => {
      for (const flag of ['explain', 'preview'] as const) {
        const bad = (opts[flag] ?? []).find((p) => !E164.test(p));
        if (bad !== undefined) throw new ValidationError([{ path: `--${flag}`, message: `"${bad}" is not an E.164 number (e.g. +13055550100)` }]);
      }
      const now = opts.now === undefined ? new Date() : new Date(opts.now);
      if (Number.isNaN(now.getTime()) || (opts.now !== undefined && !/^\d{4}-\d{2}-\d{2}T/.test(opts.now))) {
        throw new ValidationError([{ path: '--now', message: `"${opts.now}" is not an ISO 8601 time (e.g. 2026-12-01T09:00:00Z)` }]);
      }
      const [{ findCampaignForImport }, { buildPlan, formatPlan }, { planOptionsFromConfig }, { createConfiguredClient }] = await Promise.all([
        import('../../campaigns/definition.ts'),
        import('../../planner/plan.ts'),
        import('../../planner/setup.ts'),
        import('../../provider/configured.ts'),
      ]);
      await withApp(async (app) => {
        const c = await findCampaignForImport(app.db.pool, name);
        const client = createConfiguredClient(app.config, { logger: app.logger });
        try {
          const plan = (await buildPlan(app.db.pool, c.id, now, { ...planOptionsFromConfig(app.config, client), explain: opts.explain, preview: opts.preview }))!;
          console.log(opts.json ? JSON.stringify(plan) : formatPlan(plan));
        } finally {
          client?.close();
        }
      }, { migrate: true });
    });
}
