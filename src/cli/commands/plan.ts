import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { CliExit, withApp } from '../run-command.ts';

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
    .option('--check-availability', 'first ask the provider which recipients have iMessage (paced; fresh cached answers reused), then plan with the channel split')
    .option('--seed <phones...>', 'test send instead: render real rows and send them to these phones (E.164), outside the campaign\'s counts')
    .option('--seed-rows <n>', 'with --seed: the first N recipients (default 1)')
    .option('--seed-recipients <phones...>', 'with --seed: these recipients\' rows instead of the first ones')
    .action(async (name: string, opts: { json?: boolean; now?: string; explain?: string[]; preview?: string[]; seed?: string[]; seedRows?: string; seedRecipients?: string[]; checkAvailability?: boolean }) => {
      for (const flag of ['explain', 'preview', 'seed', 'seedRecipients'] as const) {
        const bad = (opts[flag] ?? []).find((p) => !E164.test(p));
        if (bad !== undefined) throw new ValidationError([{ path: `--${flag.replace(/[A-Z]/g, (x) => `-${x.toLowerCase()}`)}`, message: `"${bad}" is not an E.164 number (e.g. +13055550100)` }]);
      }
      const seedRows = opts.seedRows === undefined ? 1 : Number(opts.seedRows);
      if (!Number.isInteger(seedRows) || seedRows < 1 || seedRows > 20) throw new ValidationError([{ path: '--seed-rows', message: `"${opts.seedRows}" must be a whole number from 1 to 20` }]);
      if ((opts.seedRows !== undefined || opts.seedRecipients) && !opts.seed) throw new ValidationError([{ path: '--seed', message: 'give the seed phones to send to' }]);
      if (opts.seed && opts.checkAvailability) throw new ValidationError([{ path: '--check-availability', message: 'cannot be combined with --seed (a test send); run them one after the other' }]);
      if (opts.seed) return seedCommand(name, opts.seed, { rows: seedRows, recipients: opts.seedRecipients, json: opts.json });
      const now = opts.now === undefined ? new Date() : new Date(opts.now);
      if (Number.isNaN(now.getTime()) || (opts.now !== undefined && !/^\d{4}-\d{2}-\d{2}T/.test(opts.now))) {
        throw new ValidationError([{ path: '--now', message: `"${opts.now}" is not an ISO 8601 time (e.g. 2026-12-01T09:00:00Z)` }]);
      }
      const [{ findCampaignForImport }, { buildPlan, formatPlan }, { planOptionsFromConfig, availabilityOptionsFromConfig }, { createConfiguredClient }, { checkAvailability }] = await Promise.all([
        import('../../campaigns/definition.ts'),
        import('../../planner/plan.ts'),
        import('../../planner/setup.ts'),
        import('../../provider/configured.ts'),
        import('../../planner/availability.ts'),
      ]);
      await withApp(async (app) => {
        const c = await findCampaignForImport(app.db.pool, name);
        const client = createConfiguredClient(app.config, { logger: app.logger });
        try {
          let check: Awaited<ReturnType<typeof checkAvailability>> | undefined;
          if (opts.checkAvailability) {
            if (!client) throw new ValidationError([{ path: 'CONTIGUITY_API_KEY', message: 'the availability check asks the provider: set CONTIGUITY_API_KEY' }]);
            check = await checkAvailability(app.db.pool, client, c.id, {
              ...availabilityOptionsFromConfig(app.config, app.db.pool),
              logger: app.logger,
              onProgress: (n) => process.stderr.write(`availability: ${n} number(s) asked\n`),
            });
          }
          const plan = (await buildPlan(app.db.pool, c.id, now, { ...planOptionsFromConfig(app.config, client), explain: opts.explain, preview: opts.preview }))!;
          if (opts.json) console.log(JSON.stringify(check ? { ...plan, availabilityCheck: check } : plan));
          else {
            if (check) {
              console.log(`Availability check: ${check.asked} number(s) asked (${check.imessage} iMessage, ${check.sms} not), ${check.unanswered} unanswered, ${check.rateLimited} rate-limited answer(s) waited out; fresh answers reused`);
              for (const e of check.errors) console.log(`  unanswered ${e}`);
            }
            console.log(formatPlan(plan));
          }
        } finally {
          client?.close();
        }
      }, { migrate: true });
    });
}

/** `--seed`: the test send (src/planner/seed.ts) through the configured provider client. */
async function seedCommand(name: string, seeds: string[], o: { rows: number; recipients?: string[]; json?: boolean }): Promise<void> {
  const [{ findCampaignForImport }, { seedSend }, { createConfiguredClient }] = await Promise.all([
    import('../../campaigns/definition.ts'),
    import('../../planner/seed.ts'),
    import('../../provider/configured.ts'),
  ]);
  await withApp(async (app) => {
    const c = await findCampaignForImport(app.db.pool, name);
    const client = createConfiguredClient(app.config, { logger: app.logger });
    if (!client) throw new ValidationError([{ path: 'CONTIGUITY_API_KEY', message: 'a test send needs the provider: set CONTIGUITY_API_KEY' }]);
    try {
      const { rows } = await app.db.pool.query<{ message: string; variants: string[]; attachments: string[]; sender_lines: string[]; fallback_when: string[]; fallback_from: string | null }>(
        'SELECT message, variants, attachments, sender_lines, fallback_when, fallback_from FROM campaigns WHERE id = $1',
        [c.id],
      );
      const r = rows[0]!;
      const campaign = { id: c.id, message: r.message, variants: r.variants, attachments: r.attachments, senderLines: r.sender_lines, fallbackWhen: r.fallback_when, fallbackFrom: r.fallback_from };
      const results = await seedSend(app.db.pool, client, campaign, { seeds, rows: o.rows, recipients: o.recipients });
      if (o.json) console.log(JSON.stringify(results));
      else if (results.length === 0) console.log('no recipient rows to render: nothing sent');
      for (const x of o.json ? [] : results) {
        console.log(`${x.seed} <- row of ${x.recipient}: ${x.status}${x.messageId ? ` (${x.messageId})` : ''}${x.error ? `: ${x.error}` : ''}${x.body !== undefined ? `\n    variant #${x.variantIndex}: ${JSON.stringify(x.body)}` : ''}`);
      }
      if (!o.json && results.some((x) => x.status === 'sent')) console.log('delivery is followed by `bluecast serve` (webhooks, delivery polls): `bluecast campaign plan NAME` lists it');
      const unsent = results.filter((x) => x.status !== 'sent').length;
      if (unsent > 0) throw new CliExit(ExitCode.failure, `${unsent} of ${results.length} seed send(s) not sent (opted out or failed)`);
    } finally {
      client.close();
    }
  }, { migrate: true });
}
