import type { Command } from 'commander';
import type { z as Z } from 'zod';
import { ValidationError } from '../../lib/errors.ts';
import { SIMULATOR_DEFAULTS } from '../../simulator/options.ts';

// Built when the command runs: zod is not loaded for `--help` (src/cli/main.ts).
function flagsSchema(z: typeof Z) {
  const numberFlag = (min: number, max: number, int = false) =>
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
      .transform(Number)
      .pipe(int ? z.number().int('must be a whole number').min(min).max(max) : z.number().min(min).max(max))
      .optional();

  return z.object({
    port: numberFlag(0, 65535, true),
    host: z.string().min(1).optional(),
    webhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    secret: z.string().min(8, 'must be at least 8 characters').optional(),
    apiKey: z.string().regex(/^contiguity_sk_[A-Za-z0-9_-]+$/, 'must look like contiguity_sk_…').optional(),
    seed: numberFlag(0, 2 ** 31 - 1, true),
    latencyMs: numberFlag(0, 60_000, true),
    imessageRatio: numberFlag(0, 1),
    replyRatio: numberFlag(0, 1),
    optOutRatio: numberFlag(0, 1),
    deliveryMs: numberFlag(0, 3_600_000, true),
    readMs: numberFlag(0, 3_600_000, true),
    replyMs: numberFlag(0, 3_600_000, true),
    pacing: z.boolean(),
  });
}

const FLAG_NAMES: Record<string, string> = {
  webhookUrl: 'webhook-url',
  apiKey: 'api-key',
  latencyMs: 'latency-ms',
  imessageRatio: 'imessage-ratio',
  replyRatio: 'reply-ratio',
  optOutRatio: 'opt-out-ratio',
  deliveryMs: 'delivery-ms',
  readMs: 'read-ms',
  replyMs: 'reply-ms',
};

export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description('run a simulated iMessage provider until interrupted (SIGINT/SIGTERM)')
    .option('--port <port>', 'port to listen on (0 = any)', '0')
    .option('--host <host>', 'address to bind', SIMULATOR_DEFAULTS.host)
    .option('--webhook-url <url>', 'where to POST signed webhooks')
    .option('--secret <secret>', 'webhook signing secret (default: the first WEBHOOK_SECRET)')
    .option('--api-key <key>', 'accept only this key (default: any contiguity_sk_… key)')
    .option('--seed <n>', 'seed of every random decision', String(SIMULATOR_DEFAULTS.seed))
    .option('--latency-ms <ms>', 'added to every answer')
    .option('--imessage-ratio <r>', 'share of recipients with iMessage (0..1)')
    .option('--reply-ratio <r>', 'share of recipients who reply (0..1)')
    .option('--opt-out-ratio <r>', 'share of replies that are opt-outs (0..1)')
    .option('--delivery-ms <ms>', 'mean time to delivery')
    .option('--read-ms <ms>', 'mean time from delivery to read')
    .option('--reply-ms <ms>', 'mean time from send to reply')
    .option('--no-pacing', 'do not pace lines (1/s, bursts of 5)')
    .action(async (raw: Record<string, unknown>) => {
      const [{ z }, { loadConfig }, { createLogger }, { toIssues }, { startSimulator }] = await Promise.all([
        import('zod'),
        import('../../config.ts'),
        import('../../lib/logger.ts'),
        import('../../provider/schemas.ts'),
        import('../../simulator/index.ts'),
      ]);
      const parsed = flagsSchema(z).safeParse(raw);
      if (!parsed.success) {
        throw new ValidationError(
          toIssues(parsed.error).map((i) => ({ ...i, path: `--${FLAG_NAMES[i.path] ?? i.path}` })),
          'simulator',
        );
      }
      const f = parsed.data;
      const config = loadConfig();
      const sim = await startSimulator({
        port: f.port,
        host: f.host,
        webhookUrl: f.webhookUrl,
        secret: f.secret ?? config.WEBHOOK_SECRET?.[0],
        apiKey: f.apiKey,
        seed: f.seed,
        latencyMs: f.latencyMs,
        imessageRatio: f.imessageRatio,
        replyRatio: f.replyRatio,
        optOutRatio: f.optOutRatio,
        pacing: f.pacing ? undefined : false,
        timing: {
          ...(f.deliveryMs !== undefined ? { deliveryMs: f.deliveryMs } : {}),
          ...(f.readMs !== undefined ? { readMs: f.readMs } : {}),
          ...(f.replyMs !== undefined ? { replyMs: f.replyMs } : {}),
        },
        logger: createLogger(config.LOG_LEVEL, { component: 'simulator' }),
      });
      // One JSON line on stdout so that scripts and tests can pick up the URL.
      console.log(JSON.stringify({ url: sim.url, api_key: sim.apiKey, webhook_url: f.webhookUrl ?? null, seed: sim.options.seed }));
      await new Promise<void>((resolve) => {
        const done = () => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          resolve();
        };
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await sim.stop();
    });
}
