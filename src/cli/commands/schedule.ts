import { Option, type Command } from 'commander';
import { ValidationError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';

interface ScheduleFlags {
  at?: string;
  local?: string;
  now?: boolean;
  ignoreBlocks?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * `bluecast campaign schedule|reschedule NAME --at ISO | --local T | --now`:
 * the dashboard's scheduling (src/campaigns/schedule.ts) with the same gate:
 * refused while the launch plan as of the send time has "block" checks,
 * unless --ignore-blocks (logged as a warning with the checks overridden).
 */
export function registerScheduleCommands(program: Command): void {
  const parent = program.commands.find((c) => c.name() === 'campaign') ?? program;
  for (const verb of ['schedule', 'reschedule'] as const) {
    parent
      .command(verb)
      .description(verb === 'schedule' ? 'schedule a draft campaign once (refused while its launch plan has blocking checks)' : 'move a scheduled campaign that has not started to a new time')
      .argument('<name>', 'campaign name or id')
      .addOption(new Option('--at <iso>', 'send at this time (ISO 8601 with Z or an offset)').conflicts(['local', 'now']))
      .addOption(new Option('--local <time>', "send at this wall-clock time in the campaign's zone, e.g. 2026-12-01T10:00").conflicts(['now']))
      .option('--now', 'send now')
      .option('--ignore-blocks', "schedule despite the launch plan's blocking checks (logged)")
      .option('--dry-run', 'say what would happen (and the blocking checks) without scheduling')
      .option('--json', 'print JSON')
      .action(async (name: string, flags: ScheduleFlags) => {
        const [{ findCampaign }, schedule, { launchGate }, { planOptionsFromConfig }, { createConfiguredClient }] = await Promise.all([
          import('../../campaigns/definition.ts'),
          import('../../campaigns/schedule.ts'),
          import('../../planner/gate.ts'),
          import('../../planner/setup.ts'),
          import('../../provider/configured.ts'),
        ]);
        const parsed = schedule.scheduleInputSchema.safeParse({
            ...(flags.at !== undefined ? { at: flags.at } : {}),
            ...(flags.local !== undefined ? { local: flags.local } : {}),
            ...(flags.now ? { now: true } : {}),
            ...(flags.dryRun ? { dryRun: true } : {}),
            ...(flags.ignoreBlocks ? { ignoreBlocks: true } : {}),
        });
        // Field names of the body are the flags' names here (local → --local).
        if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: `--${i.path.join('.') || 'at'}`, message: i.message })));
        const input = parsed.data;
        await withApp(async (app) => {
          const client = createConfiguredClient(app.config, { logger: app.logger });
          try {
            const c = await findCampaign(app.db.prisma, name);
            const gate = launchGate(app.db.pool, planOptionsFromConfig(app.config, client));
            const apply = verb === 'schedule' ? schedule.scheduleCampaign : schedule.rescheduleCampaign;
            const p = await apply(app.db.prisma, c, input, new Date(), gate);
            if (p.ignoredBlocks.length && !p.dryRun) {
              app.logger.warn({ campaignId: p.id, campaign: p.name, ignoredBlocks: p.ignoredBlocks, scheduleAt: p.scheduleAt }, 'scheduled despite blocking plan checks (--ignore-blocks)');
            }
            if (flags.json) return void console.log(JSON.stringify(p, null, 2));
            console.log(p.dryRun ? `would ${verb}: ${p.summary}` : `campaign ${p.name} is ${p.status}: ${p.summary}`);
            for (const b of p.blocks) console.log(`  [${p.ignoredBlocks.includes(b.id) ? 'block, ignored' : 'block'}] ${b.id}: ${b.message}\n    fix: ${b.fix}`);
          } finally {
            client?.close();
          }
        }, { migrate: true });
      });
  }
}
