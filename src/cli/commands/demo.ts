import path from 'node:path';
import type { Command } from 'commander';
import { untilSignal } from '../signals.ts';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the whole job end to end (what `npm start` runs): embedded database, simulator, import, send, webhooks, report, dashboard')
    .option('--file <campaign.json>', 'campaign definition to run (default: campaigns/demo.json)')
    .option('--exit', 'exit after printing the report instead of serving the dashboard')
    .action(async (flags: { file?: string; exit?: boolean }) => {
      const [{ loadConfig }, { runDemo }, { createLogger }] = await Promise.all([
        import('../../config.ts'),
        import('../../demo/demo.ts'),
        import('../../lib/logger.ts'),
      ]);
      const config = loadConfig();
      // The demo narrates on stdout; keep the structured logs to warnings unless asked.
      const logger = createLogger(process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn');
      const signals = untilSignal();
      try {
        await runDemo({
          config,
          logger,
          definitionFile: flags.file ? path.resolve(flags.file) : undefined,
          exitAfterReport: flags.exit,
          untilStopped: signals.promise,
        });
      } finally {
        signals.dispose();
      }
    });
}
