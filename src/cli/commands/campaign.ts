import { Option, type Command } from 'commander';
import { CliExit, withApp } from '../run-command.ts';
import { ExitCode } from '../exit-codes.ts';
import { ValidationError } from '../../lib/errors.ts';
import { importFile, printImportSummary } from './import.ts';
import { printable } from '../../lib/terminal-text.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface CreateFlags {
  ignoreBlocks?: boolean;
  file?: string;
  name?: string;
  message?: string;
  variant?: string[];
  from?: string[];
  fallback?: string;
  fallbackFrom?: string;
  attachment?: string[];
  fastTrack?: boolean;
  at?: string;
  cron?: string;
  timezone?: string;
  window?: string;
  concurrency?: string;
  ratePerLine?: string;
  burst?: string;
  newContactsPerHour?: string;
  newContactsPerDay?: string;
  region?: string;
  csv?: string;
  transactional?: boolean;
  sendBy?: string;
  recentContactHours?: string;
  onCap?: string;
  import?: boolean;
  json?: boolean;
}

/** CLI flags in the definition schema's vocabulary; only flags actually given. */
function flagsToDefinition(f: CreateFlags): Record<string, unknown> {
  const def: Record<string, unknown> = {};
  const set = (key: string, v: unknown) => {
    if (v !== undefined) def[key] = v;
  };
  set('name', f.name);
  set('message', f.message);
  set('variants', f.variant);
  set('from', f.from?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean));
  set('fallback', f.fallback);
  set('fallbackFrom', f.fallbackFrom);
  set('attachments', f.attachment);
  if (f.fastTrack) def.fastTrack = true;
  set('at', f.at);
  set('cron', f.cron);
  set('timezone', f.timezone);
  set('window', f.window);
  set('concurrency', f.concurrency);
  set('ratePerLine', f.ratePerLine);
  set('burst', f.burst);
  set('newContactsPerHour', f.newContactsPerHour);
  set('newContactsPerDay', f.newContactsPerDay);
  set('region', f.region);
  set('csv', f.csv);
  set('transactional', f.transactional);
  set('sendBy', f.sendBy);
  set('recentContactHours', f.recentContactHours);
  set('onCap', f.onCap);
  return def;
}

export function registerCampaignCommands(program: Command): void {
  const campaign = program.command('campaign').description('create, list, show, pause, resume and cancel campaigns');

  campaign
    .command('create')
    .description('create a campaign from flags or from a definition file (flags override the file)')
    .option('--file <path>', 'campaign definition JSON (campaigns/NAME.json); may name its CSV')
    .option('--name <name>', 'unique campaign name')
    .option('--message <text>', 'message template: {{column}}, {{column|default}}, {Hi|Hello}')
    .option('--variant <text>', 'another whole-message variant (repeatable)', collect)
    .option('--from <line>', 'sender line in E.164 (repeatable or comma-separated)', collect)
    .option('--fallback <when>', 'SMS fallback: imessage_unsupported,imessage_fails')
    .option('--fallback-from <line>', 'SMS line for the fallback (E.164)')
    .option('--attachment <url>', 'attachment URL (repeatable)', collect)
    .option('--fast-track', 'bypass the recommended pacing (needs the entitlement)')
    .addOption(new Option('--at <iso>', 'send once at this time (ISO 8601 with Z or offset)').conflicts('cron'))
    .addOption(new Option('--cron <expr>', 'send on this cron schedule (5 fields) in --timezone').conflicts('at'))
    .option('--timezone <tz>', 'IANA time zone of the schedule (default America/New_York)')
    .option('--window <HH:MM-HH:MM>', 'send window in the recipient\'s local time, or "any" (default 09:00-21:00)')
    .option('--concurrency <n>', 'messages in flight (default 8)')
    .option('--rate-per-line <r>', 'messages per second per line (default 1)')
    .option('--burst <b>', 'burst per line (default 5)')
    .option('--new-contacts-per-hour <n>', 'new contacts per line per hour (default 20)')
    .option('--new-contacts-per-day <n>', 'new contacts per line per day (default 100)')
    .option('--region <cc>', 'default country for numbers without a country code (default US)')
    .option('--transactional', 'not marketing: only the federal 08:00-21:00 hours apply, not the state hours or caps')
    .option('--send-by <iso>', 'deadline: what has not gone out by then is expired, never sent late')
    .option('--recent-contact-hours <h>', 'skip (or hold, see --on-cap) people any campaign messaged in the last <h> hours')
    .option('--on-cap <wait|skip>', 'a message a frequency cap blocks waits for it (default) or is skipped')
    .option('--csv <path>', 'recipients CSV to import right after creating')
    .option('--no-import', 'do not import the CSV named by the definition')
    .option('--ignore-blocks', "with --at: schedule despite the launch plan's blocking checks (logged)")
    .option('--json', 'print the created campaign as JSON')
    .action(async (flags: CreateFlags) => {
      const [{ parseCampaignDefinition, readCampaignFile }, { describeCampaign }, { createCampaignGated }, { launchGate }, { planOptionsFromConfig }, { createConfiguredClient }] = await Promise.all([
        import('../../campaigns/definition.ts'),
        import('../../campaigns/describe.ts'),
        import('../../campaigns/create-scheduled.ts'),
        import('../../planner/gate.ts'),
        import('../../planner/setup.ts'),
        import('../../provider/configured.ts'),
      ]);
      const base = flags.file ? await readCampaignFile(flags.file) : {};
      // A schedule given on the command line replaces the file's, whichever kind it is.
      if (flags.at !== undefined || flags.cron !== undefined) {
        delete base.at;
        delete base.cron;
      }
      const def = parseCampaignDefinition({ ...base, ...flagsToDefinition(flags) }, flags.file ?? 'campaign');
      if (flags.ignoreBlocks && !def.at) throw new ValidationError([{ path: '--ignore-blocks', message: 'only with --at (a one-off send time): other campaigns are not scheduled at creation' }]);
      await withApp(async (app) => {
        const client = def.at ? createConfiguredClient(app.config, { logger: app.logger }) : undefined;
        let summary: Awaited<ReturnType<typeof importFile>> | undefined;
        try {
          // With --at: created as a draft, the CSV imported, then scheduled through the launch gate as `campaign schedule` is.
          const { campaign: created, blocks, ignoredBlocks } = await createCampaignGated(app.db, def, {
            gate: launchGate(app.db.pool, planOptionsFromConfig(app.config, client)),
            ignoreBlocks: flags.ignoreBlocks,
            onBlocked: 'keep-draft',
            prepare: async (c) => {
              if (def.csv && flags.import !== false) summary = await importFile(app, c, def.csv, {});
            },
          });
          if (ignoredBlocks.length) app.logger.warn({ campaignId: created.id, campaign: created.name, ignoredBlocks, scheduleAt: def.at }, 'scheduled despite blocking plan checks (--ignore-blocks)');
          const refused = blocks.length > 0 && ignoredBlocks.length === 0;
          if (flags.json) {
            console.log(JSON.stringify({ campaign: await describeCampaign(app.db.prisma, created), import: summary ?? null, blocks, ignoredBlocks }, null, 2));
          } else {
            const when = created.scheduleAt ? `at ${created.scheduleAt.toISOString()}` : created.cronExpression ? `on "${created.cronExpression}" (${created.timezone})` : 'no schedule yet';
            console.log(`created campaign ${created.name} (id ${created.id}): ${created.status}, ${when}`);
            if (summary) await printImportSummary(summary);
            for (const b of blocks) console.log(`  [${ignoredBlocks.includes(b.id) ? 'block, ignored' : 'block'}] ${b.id}: ${b.message}\n    fix: ${b.fix}`);
          }
          if (refused) {
            throw new CliExit(
              ExitCode.failure,
              `campaign "${created.name}" was created as a draft but not scheduled: its launch plan as of ${def.at} has ${blocks.length} blocking check(s) (${blocks.map((b) => b.id).join(', ')}); ` +
                `fix them and run \`bluecast campaign schedule ${created.name} --at ${def.at}\`, or add --ignore-blocks`,
            );
          }
        } finally {
          client?.close();
        }
      }, { migrate: true });
    });

  campaign
    .command('list')
    .description('list campaigns')
    .option('--json', 'print JSON')
    .option('--archived', 'include archived campaigns')
    .action(async (flags: { json?: boolean; archived?: boolean }) => {
      const { listCampaigns } = await import('../../campaigns/describe.ts');
      await withApp(async (app) => {
        const rows = await listCampaigns(app.db.pool, { archived: flags.archived === true });
        if (flags.json) {
          console.log(JSON.stringify(rows, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log('no campaigns yet: bluecast campaign create --help');
          return;
        }
        const table = [['ID', 'NAME', 'STATUS', 'RECIPIENTS', 'SCHEDULE'], ...rows.map((r) => [String(r.id), printable(r.name, { oneLine: true }), r.archivedAt ? `${r.status} (archived)` : r.status, String(r.recipients), r.schedule])];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        for (const row of table) console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
      }, { migrate: true });
    });

  campaign
    .command('show')
    .description('show a campaign: definition, recipients, messages, imports')
    .argument('<name>', 'campaign name or id')
    .action(async (name: string) => {
      const [{ findCampaign }, { describeCampaign }] = await Promise.all([import('../../campaigns/definition.ts'), import('../../campaigns/describe.ts')]);
      await withApp(async (app) => {
        const c = await findCampaign(app.db.prisma, name);
        console.log(JSON.stringify(await describeCampaign(app.db.prisma, c), null, 2));
      }, { migrate: true });
    });

  campaign
    .command('edit')
    .description('change a draft campaign: the flags given (or --file) replace those fields; refused once it is scheduled or started')
    .argument('<name>', 'campaign name or id')
    .option('--file <path>', 'campaign definition JSON replacing the whole definition')
    .option('--rename <name>', 'new campaign name')
    .option('--message <text>', 'message template')
    .option('--variant <text>', 'whole-message variant (repeatable; replaces the variants)', collect)
    .option('--from <line>', 'sender line in E.164 (repeatable; replaces the lines)', collect)
    .option('--timezone <tz>', 'IANA time zone')
    .option('--window <HH:MM-HH:MM>', 'send window in the recipient\'s local time, or "any"')
    .option('--concurrency <n>', 'messages in flight')
    .option('--rate-per-line <r>', 'messages per second per line')
    .option('--region <cc>', 'default country for numbers without a country code')
    .option('--transactional', 'not marketing: only the federal 08:00-21:00 hours apply, not the state hours or caps')
    .option('--send-by <iso>', 'deadline: what has not gone out by then is expired, never sent late')
    .option('--recent-contact-hours <h>', 'skip (or hold, see --on-cap) people any campaign messaged in the last <h> hours')
    .option('--on-cap <wait|skip>', 'a message a frequency cap blocks waits for it (default) or is skipped')
    .option('--no-transactional', 'marketing again: the state hours and caps apply')
    .action(async (name: string, flags: CreateFlags & { rename?: string }) => {
      const [{ findCampaign, readCampaignFile }, { definitionOf, editDraftCampaign }] = await Promise.all([
        import('../../campaigns/definition.ts'),
        import('../../campaigns/manage.ts'),
      ]);
      const file = flags.file ? await readCampaignFile(flags.file) : undefined;
      await withApp(async (app) => {
        const c = await findCampaign(app.db.prisma, name);
        const input = { ...(file ?? definitionOf(c)), ...flagsToDefinition({ ...flags, name: flags.rename }) };
        const edited = await editDraftCampaign(app.db, c, input, flags.file ?? 'campaign');
        console.log(`campaign ${edited.name} (id ${edited.id}) saved; still a draft`);
      }, { migrate: true });
    });

  campaign
    .command('duplicate')
    .description('copy a campaign (definition and recipients) into a new draft without its schedule')
    .argument('<name>', 'campaign name or id')
    .requiredOption('--name <new>', 'name of the copy')
    .action(async (name: string, flags: { name: string }) => {
      const [{ findCampaign, parseCampaignDefinition }, { duplicateCampaign }] = await Promise.all([
        import('../../campaigns/definition.ts'),
        import('../../campaigns/manage.ts'),
      ]);
      await withApp(async (app) => {
        const c = await findCampaign(app.db.prisma, name);
        // The same name rules as creation, with the flag named.
        const newName = parseCampaignDefinition({ name: flags.name, message: c.message, variants: c.variants }, '--name').name;
        const { campaign: copy, recipients } = await duplicateCampaign(app.db, c, newName);
        console.log(`created campaign ${copy.name} (id ${copy.id}): a draft copy of ${c.name} with ${recipients} recipient(s)`);
      }, { migrate: true });
    });

  for (const [verb, description] of [
    ['archive', 'hide a draft, completed or cancelled campaign from `campaign list` (list --archived shows it)'],
    ['unarchive', 'bring an archived campaign back into `campaign list`'],
  ] as const) {
    campaign
      .command(verb)
      .description(description)
      .argument('<name>', 'campaign name or id')
      .action(async (name: string) => {
        const [{ findCampaign }, manage] = await Promise.all([import('../../campaigns/definition.ts'), import('../../campaigns/manage.ts')]);
        const apply = verb === 'archive' ? manage.archiveCampaign : manage.unarchiveCampaign;
        await withApp(async (app) => {
          const c = await apply(app.db, await findCampaign(app.db.prisma, name));
          console.log(`campaign ${c.name} is ${c.archivedAt ? 'archived' : 'back in the list'} (${c.status})`);
        }, { migrate: true });
      });
  }

  const transitions = [
    ['pause', 'stop sending until resumed', 'pauseCampaign'],
    ['resume', 'carry on with a paused campaign, or a blocked one once its account is fixed', 'resumeCampaign'],
    ['cancel', 'cancel the campaign and its queued messages', 'cancelCampaign'],
  ] as const;
  for (const [verb, description, transition] of transitions) {
    campaign
      .command(verb)
      .description(description)
      .argument('<name>', 'campaign name or id')
      .action(async (name: string) => {
        const [{ findCampaign }, status] = await Promise.all([import('../../campaigns/definition.ts'), import('../../campaigns/status.ts')]);
        const apply = status[transition];
        await withApp(async (app) => {
          const c = await findCampaign(app.db.prisma, name);
          const res = await apply(app.db.prisma, c);
          const status = typeof res === 'string' ? res : res.status;
          const extra = typeof res === 'string' ? '' : ` (${res.messages} queued message(s) cancelled)`;
          console.log(`campaign ${c.name} is now ${status}${extra}`);
        }, { migrate: true });
      });
  }
}
