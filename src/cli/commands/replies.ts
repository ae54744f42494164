import { InvalidArgumentError, type Command } from 'commander';
import type { ReplyRow } from '../../db/sql/replies.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { withApp } from '../run-command.ts';
import { printable } from '../../lib/terminal-text.ts';

function oneLine(text: string, width: number): string {
  const flat = printable(text, { oneLine: true }).replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function consentLabel(r: ReplyRow): string {
  if (r.is_opt_out) return 'OPT-OUT';
  if (r.is_opt_in) return 'OPT-IN';
  if (r.needs_attention) return 'CHECK';
  return '';
}

export function registerRepliesCommand(program: Command): void {
  program
    .command('replies')
    .description("list a campaign's replies: who, when, text, and whether the person is opted out")
    .argument('<name>', 'campaign name (or id)')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most this many replies', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
      return n;
    }, 1000)
    .action(async (name: string, opts: { json?: boolean; limit: number }) => {
      const [{ listReplies }, { reportCampaign }] = await Promise.all([import('../../db/sql/replies.ts'), import('../../db/sql/report-campaign.ts')]);
      await withApp(async (app) => {
        const campaign = await reportCampaign(app.db.pool, name);
        if (!campaign) throw new NotFoundError(`campaign "${name}" not found`);
        const rows = await listReplies(app.db.pool, campaign.id, opts.limit);
        if (opts.json) {
          const out = rows.map((r) => ({
            from: r.from_phone,
            line: r.to_line,
            at: r.sent_at.toISOString(),
            channel: r.channel,
            text: r.body,
            attachments: r.attachments,
            keyword: r.is_opt_out ? 'opt_out' : r.is_opt_in ? 'opt_in' : null,
            optedOut: r.opted_out,
            needsAttention: r.needs_attention,
          }));
          console.log(JSON.stringify({ campaign: campaign.name, replies: out }, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log(`no replies to ${printable(campaign.name, { oneLine: true })} yet`);
          return;
        }
        for (const r of rows) {
          const state = r.opted_out ? 'opted out' : '';
          console.log(
            [r.sent_at.toISOString().replace('T', ' ').slice(0, 19), printable(r.from_phone, { oneLine: true }).padEnd(16), consentLabel(r).padEnd(7), state.padEnd(9), oneLine(r.body, 80)].join('  '),
          );
        }
        const optedOut = new Set(rows.filter((r) => r.opted_out).map((r) => r.from_phone)).size;
        const people = new Set(rows.map((r) => r.from_phone)).size;
        console.log(`${rows.length} repl${rows.length === 1 ? 'y' : 'ies'} from ${people} ${people === 1 ? 'person' : 'people'}, ${optedOut} opted out`);
      }, { migrate: true });
    });
}
