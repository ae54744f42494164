import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, ValidationError } from '../../lib/errors.ts';
import type { ImessageClient, ReplyParams } from '../../provider/client.ts';

/** Repeatable, comma-separable list flag: --attachments a.png --attachments b.png,c.png */
const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

/** Numbers stay strings when they are not numbers, so that validation names the field. */
const num = (v: string | undefined): number | string | undefined => (v === undefined ? undefined : /^-?\d+$/.test(v) ? Number(v) : v);

async function withClient(fn: (c: ImessageClient) => Promise<unknown>): Promise<void> {
  const [{ loadConfig }, { createLogger }, { createConfiguredClient }] = await Promise.all([
    import('../../config.ts'),
    import('../../lib/logger.ts'),
    import('../../provider/configured.ts'),
  ]);
  const config = loadConfig();
  const client = createConfiguredClient(config, { logger: createLogger(config.LOG_LEVEL, { component: 'provider' }) });
  if (!client) throw new ConfigError(['CONTIGUITY_API_KEY: is required to talk to the provider']);
  try {
    console.log(JSON.stringify(await fn(client), null, 2));
  } finally {
    client.close();
  }
}

interface ContentFlags {
  message?: string;
  attachments?: string[];
  fallbackWhen?: string[];
  fallbackFrom?: string;
  fastTrack?: boolean;
}

/** Flags as the API's fields; the client's schema checks the values (and names bad ones). */
function content(o: ContentFlags): ReplyParams {
  return {
    ...(o.message !== undefined ? { message: o.message } : {}),
    ...(o.attachments ? { attachments: o.attachments } : {}),
    ...(o.fallbackWhen || o.fallbackFrom ? { fallback: { when: o.fallbackWhen ?? [], ...(o.fallbackFrom ? { from: o.fallbackFrom } : {}) } } : {}),
    ...(o.fastTrack ? { fast_track: true } : {}),
  } as ReplyParams;
}

function contentOptions(cmd: Command): Command {
  return cmd
    .option('--message <text>', 'message text (required unless --attachments)')
    .option('--attachments <urls>', 'HTTPS attachment URL(s), comma-separated or repeated', list)
    .option('--fallback-when <list>', 'fall back to SMS when: imessage_unsupported,imessage_fails', list)
    .option('--fallback-from <number>', 'SMS line for the fallback')
    .option('--fast-track', 'bypass the recommended pacing (needs the entitlement)');
}

/** An incoming event as JSON text, a file (@path) or stdin (-). */
function readEvent(arg: string | undefined): unknown {
  if (arg === undefined) throw new ValidationError([{ path: 'event', message: 'is required (JSON, @file or - for stdin)' }], 'imessage reply');
  const text = arg === '-' ? readFileSync(0, 'utf8') : arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError([{ path: 'event', message: 'is not JSON' }], 'imessage reply');
  }
  // Accept a whole webhook event or just its data.
  const p = parsed as { data?: unknown };
  return p && typeof p === 'object' && 'data' in p ? p : { data: parsed };
}

export function registerImessageCommands(program: Command): void {
  const im = program.command('imessage').description("call the provider's iMessage API directly (prints JSON)");

  contentOptions(im.command('send').description('send an iMessage').option('--to <number>', 'recipient, E.164').option('--from <number>', 'leased line, E.164')).action(
    (o: ContentFlags & { to?: string; from?: string }) =>
      withClient((c) => c.send({ to: o.to as string, ...(o.from ? { from: o.from } : {}), ...content(o) })),
  );

  contentOptions(
    im.command('reply').description('reply to an incoming event on the line it came in on').option('--event <json>', 'the incoming event (JSON, @file, or - for stdin)'),
  ).action((o: ContentFlags & { event?: string }) => withClient((c) => c.reply(readEvent(o.event) as { data: { from: string; to: string } }, content(o))));

  im.command('typing')
    .description('start or stop the typing indicator')
    .option('--to <number>', 'recipient, E.164')
    .option('--action <action>', 'start | stop')
    .option('--from <number>', 'leased line, E.164')
    .action((o: { to?: string; action?: string; from?: string }) =>
      withClient((c) => c.typing({ to: o.to as string, action: o.action as 'start', ...(o.from ? { from: o.from } : {}) })),
    );

  im.command('react')
    .description('add or remove a tapback on the latest message with this text')
    .option('--action <action>', 'add | remove')
    .option('--to <number>', 'recipient, E.164')
    .option('--from <number>', 'leased line, E.164')
    .option('--tapback <tapback>', 'love | like | dislike | laugh | emphasize | question')
    .option('--message <text>', 'full text of the message reacted to')
    .action((o: { action?: string; to?: string; from?: string; tapback?: string; message?: string }) =>
      withClient((c) => c.react(o.action as 'add', { to: o.to as string, from: o.from as string, tapback: o.tapback as 'love', message: o.message as string })),
    );

  im.command('read')
    .description('send a read receipt')
    .option('--to <number>', 'recipient, E.164')
    .option('--from <number>', 'leased line, E.164')
    .action((o: { to?: string; from?: string }) => withClient((c) => c.read({ to: o.to as string, from: o.from as string })));

  // The iMessage and the SMS/MMS thread take the same flags; only the call differs.
  type ThreadFlags = { to?: string; from?: string; limit?: string; tracking?: boolean };
  const threadCommand = (name: string, description: string, call: (c: ImessageClient, p: Parameters<ImessageClient['history']>[0]) => Promise<unknown>) =>
    im.command(name)
      .description(description)
      .option('--to <number>', 'recipient, E.164')
      .option('--from <number>', 'leased line, E.164')
      .option('--limit <n>', 'messages to return, 1..200 (default 20)')
      .option('--tracking', 'include tracking timelines')
      .action((o: ThreadFlags) =>
        withClient((c) =>
          call(c, { to: o.to as string, from: o.from as string, ...(o.limit !== undefined ? { limit: num(o.limit) as number } : {}), ...(o.tracking ? { tracking: true } : {}) }),
        ),
      );
  threadCommand('history', 'a conversation between a recipient and a line', (c, p) => c.history(p));
  threadCommand('text-history', 'the SMS/MMS conversation between a recipient and a line (where SMS fallbacks show up)', (c, p) => c.textHistory(p));

  im.command('get')
    .description('one message by id')
    .option('--id <id>', 'message id')
    .option('--tracking', 'include the tracking timeline')
    .action((o: { id?: string; tracking?: boolean }) => withClient((c) => c.get(o.id as string, o.tracking ? { tracking: true } : {})));

  im.command('availability')
    .description('whether a number can receive iMessages')
    .option('--to <number>', 'number, E.164')
    .action((o: { to?: string }) => withClient((c) => c.availability(o.to as string)));
}
