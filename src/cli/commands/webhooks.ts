import { InvalidArgumentError, type Command } from 'commander';
import { listDeadLetters, retryDeadLetters } from '../../db/sql/webhook-events.ts';
import { ValidationError } from '../../lib/errors.ts';
import { parseRowId } from '../../lib/ids.ts';
import { withApp } from '../run-command.ts';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

const oneLine = (text: string, width: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
};

/**
 * `bluecast webhooks dead-letters` and `bluecast webhooks retry`: the webhook
 * events the processor set aside after its last try (src/webhooks/processor.ts),
 * listed with the reason, and put back in the queue once the cause is fixed.
 */
export function registerWebhooksCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('webhook events that could not be processed');

  webhooks
    .command('dead-letters')
    .description('list the events set aside after their last try, with the reason')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most this many', positive, 1000)
    .action(async (opts: { json?: boolean; limit: number }) => {
      await withApp(async (app) => {
        const rows = await listDeadLetters(app.db.pool, opts.limit);
        if (opts.json) {
          const out = rows.map((r) => ({
            id: r.id,
            eventId: r.provider_event_id,
            type: r.type,
            receivedAt: r.received_at.toISOString(),
            deadLetteredAt: r.dead_lettered_at.toISOString(),
            attempts: r.attempts,
            reason: r.last_error,
          }));
          console.log(JSON.stringify({ deadLetters: out }, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log('no dead-lettered webhook events');
          return;
        }
        for (const r of rows) {
          console.log([String(r.id).padStart(6), r.dead_lettered_at.toISOString().replace('T', ' ').slice(0, 19), oneLine(r.provider_event_id, 32).padEnd(32), oneLine(r.type, 24).padEnd(24), oneLine(r.last_error ?? '', 100)].join('  '));
        }
        console.log(`${rows.length} dead-lettered event(s); put them back with: bluecast webhooks retry ID… | --all`);
      }, { migrate: true });
    });

  webhooks
    .command('retry')
    .description('put dead-lettered events back in the queue (by row id or provider event id), or all of them')
    .argument('[ids...]', 'row ids (as listed) or provider event ids')
    .option('--all', 'every dead-lettered event')
    .action(async (ids: string[], opts: { all?: boolean }) => {
      if (opts.all && ids.length) throw new ValidationError([{ path: '--all', message: 'give either event ids or --all, not both' }]);
      if (!opts.all && ids.length === 0) throw new ValidationError([{ path: 'ids', message: 'name the events to retry (see `bluecast webhooks dead-letters`), or give --all' }]);
      await withApp(async (app) => {
        const rowIds = ids.map(parseRowId).filter((n): n is number => n !== undefined);
        const requeued = await retryDeadLetters(app.db.pool, opts.all ? { all: true } : { ids: rowIds, providerIds: ids });
        console.log(`${requeued.length} event(s) back in the queue${requeued.length ? `: ${requeued.join(', ')}` : ''}`);
        if (!opts.all && requeued.length < ids.length) {
          console.log(`${ids.length - requeued.length} of the ${ids.length} id(s) given named no dead-lettered event (unknown, processed or already queued)`);
        }
        // A running `bluecast serve` or `run` picks them up at its next poll.
      }, { migrate: true });
    });
}
