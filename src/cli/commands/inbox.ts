import { InvalidArgumentError, type Command } from 'commander';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { printable } from '../../lib/terminal-text.ts';
import { withApp } from '../run-command.ts';

const clean = (s: string | null, width = 80) => {
  const flat = printable(s ?? '', { oneLine: true }).replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
};
const when = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19);

/** libphonenumber-js is heavy: loaded by the action, not at startup. */
async function e164(v: string, what: string): Promise<string> {
  const { normalizePhone } = await import('../../lib/phone.ts');
  const r = normalizePhone(v, 'US');
  if (!r.ok) throw new InvalidArgumentError(`${what}: ${r.reason}`);
  return r.e164;
}

/**
 * `bluecast inbox [--unread]` lists conversations; `bluecast thread PHONE`
 * shows one, `--reply "…"` answers it through the send path (queued for the
 * running service's care workers, paced and consent-checked like every send).
 */
export function registerInboxCommands(program: Command): void {
  program
    .command('inbox')
    .description('list conversations (one per person and line): unread replies, needs attention, opted out')
    .option('--unread', 'only threads with unread replies')
    .option('--campaign <name-or-id>', 'only threads with a message or reply of this campaign')
    .option('--line <line>', 'only threads on this line of ours')
    .option('--search <text>', 'a number (its digits) or words of a reply')
    .option('--json', 'print JSON')
    .action(async (opts: { unread?: boolean; campaign?: string; line?: string; search?: string; json?: boolean }) => {
      const line = opts.line === undefined ? undefined : await e164(opts.line, '--line');
      const [{ listThreads }, { reportCampaign }] = await Promise.all([import('../../db/sql/inbox.ts'), import('../../db/sql/report-campaign.ts')]);
      await withApp(async (app) => {
        let campaignId: number | undefined;
        if (opts.campaign !== undefined) {
          const c = await reportCampaign(app.db.pool, opts.campaign);
          if (!c) throw new NotFoundError(`no campaign ${opts.campaign}`);
          campaignId = c.id;
        }
        const threads = await listThreads(app.db.pool, { unread: opts.unread, campaignId, line, search: opts.search?.trim() || undefined, limit: 500 });
        if (opts.json) return void console.log(JSON.stringify({ threads }, null, 2));
        if (threads.length === 0) return void console.log(opts.campaign || opts.line || opts.search ? 'no conversation matches' : opts.unread ? 'no unread conversations' : 'no conversations yet');
        for (const t of threads) {
          const flags = [t.unread ? `${t.unread} unread` : '', t.needs_attention ? 'CHECK' : '', t.opted_out ? 'opted out' : '', t.state === 'done' ? 'done' : ''].filter(Boolean).join(', ');
          console.log([when(t.last_at), clean(t.phone).padEnd(16), clean(t.line).padEnd(16), flags.padEnd(24), `${t.last_direction === 'in' ? '←' : '→'} ${clean(t.last_body, 60)}`].join('  '));
        }
      }, { migrate: true });
    });

  program
    .command('thread')
    .description("show one person's conversation (every message, reply and consent change), or answer it")
    .argument('<phone>', 'the person (E.164 or a US number)')
    .option('--line <line>', 'our line (default: the line of their latest message)')
    .option('--reply <text>', 'answer the latest reply through the send path')
    .option('--quick <name>', 'answer with a saved quick reply, its {{columns}} filled from the person\'s CSV row')
    .action(async (phoneText: string, opts: { line?: string; reply?: string; quick?: string }) => {
      if (opts.reply !== undefined && opts.quick !== undefined) throw new ValidationError([{ path: '--quick', message: 'give --reply or --quick, not both' }]);
      const phone = await e164(phoneText, 'PHONE');
      const lineArg = opts.line === undefined ? undefined : await e164(opts.line, '--line');
      const [{ listThreads, threadEvents, latestReply }, { sendOperatorReply }, quick, { renderQuickReply }] = await Promise.all([
        import('../../db/sql/inbox.ts'),
        import('../../inbox/send-reply.ts'),
        import('../../db/sql/quick-replies.ts'),
        import('../../inbox/quick-replies.ts'),
      ]);
      await withApp(async (app) => {
        const pool = app.db.pool;
        const line = lineArg ?? (await listThreads(pool, { search: phone, limit: 50 })).find((t) => t.phone === phone)?.line;
        if (!line) throw new NotFoundError(`no conversation with ${phone}`);
        if (opts.quick !== undefined) {
          const q = await quick.findQuickReply(pool, opts.quick);
          if (!q) throw new NotFoundError(`no quick reply named "${opts.quick}" (see bluecast quick-replies)`);
          const r = renderQuickReply(q.body, await quick.threadVariables(pool, phone, line), `${phone}:${line}:${q.id}`);
          if (r.text === null) throw new ValidationError([{ path: '--quick', message: `${q.name}: ${r.problem}` }]);
          opts.reply = r.text;
        }
        if (opts.reply !== undefined) {
          const body = opts.reply.trim();
          if (!body) throw new ValidationError([{ path: '--reply', message: 'needs some text' }]);
          if (!(await latestReply(pool, phone, line))) throw new NotFoundError(`${phone} has not written to ${line}: nothing to answer`);
          const id = await sendOperatorReply(pool, { phone, line, body });
          if (id === null) throw new ConflictError(`${phone} opted out: nothing can be sent to them until they opt back in`);
          console.log(`answer queued as message ${id}; the running service sends it (paced on ${line})${opts.quick !== undefined ? `: ${clean(body)}` : ''}`);
          return;
        }
        for (const e of await threadEvents(pool, phone, line, 500)) {
          const arrow = e.direction === 'in' ? '←' : e.direction === 'out' ? '→' : '·';
          const marks = [e.status, e.read_at ? 'read' : e.delivered_at ? 'delivered' : ''].filter(Boolean).join(' ');
          console.log([when(e.at), arrow, e.kind.padEnd(22), marks.padEnd(16), clean(e.body ?? e.note)].join('  '));
        }
      }, { migrate: true });
    });

  program
    .command('quick-replies')
    .description('list the saved answers of the inbox, or save / remove one')
    .option('--save <name>', 'save (or replace) the answer of this name; its text from --body')
    .option('--body <template>', 'the answer, a message template: {{first_name|there}}, {Hi|Hello}')
    .option('--remove <name>', 'forget the answer of this name')
    .option('--json', 'print JSON')
    .action(async (opts: { save?: string; body?: string; remove?: string; json?: boolean }) => {
      if (opts.save !== undefined && opts.remove !== undefined) throw new ValidationError([{ path: '--remove', message: 'give --save or --remove, not both' }]);
      if ((opts.save === undefined) !== (opts.body === undefined)) throw new ValidationError([{ path: '--body', message: '--save NAME and --body TEMPLATE go together' }]);
      const [sql, { parseQuickReply }] = await Promise.all([import('../../db/sql/quick-replies.ts'), import('../../inbox/quick-replies.ts')]);
      await withApp(async (app) => {
        const pool = app.db.pool;
        if (opts.save !== undefined) {
          const q = await sql.saveQuickReply(pool, parseQuickReply({ name: opts.save, body: opts.body }));
          return void console.log(`saved quick reply "${q.name}"`);
        }
        if (opts.remove !== undefined) {
          if (!(await sql.deleteQuickReply(pool, opts.remove))) throw new NotFoundError(`no quick reply named "${opts.remove}"`);
          return void console.log(`removed quick reply "${opts.remove}"`);
        }
        const all = await sql.listQuickReplies(pool);
        if (opts.json) return void console.log(JSON.stringify({ quickReplies: all }, null, 2));
        if (all.length === 0) return void console.log('no quick replies yet: bluecast quick-replies --save NAME --body "Hi {{first_name|there}}, …"');
        for (const q of all) console.log(`${clean(q.name, 30).padEnd(30)}  ${clean(q.body, 90)}`);
      }, { migrate: true });
    });
}
