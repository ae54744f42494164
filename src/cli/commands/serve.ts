import { InvalidArgumentError, type Command } from 'commander';
import { withApp } from '../run-command.ts';
import { untilSignal } from '../signals.ts';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP server (API, dashboard, webhooks) and the worker until SIGTERM')
    .option('--port <port>', 'listen port (default: PORT)', port)
    .option('--host <host>', 'listen address (default: HOST)')
    .option('--no-worker', 'do not send from this process (another `bluecast run` does)')
    .action(async (flags: { port?: number; host?: string; worker: boolean }) => {
      const [{ createProgressReporter }, { startService }] = await Promise.all([import('../../dispatch/progress.ts'), import('../../service.ts')]);
      await withApp(
        async (app) => {
          const signals = untilSignal((sig) => app.logger.info({ signal: sig }, 'stopping'));
          const progress = createProgressReporter({ pool: app.db.pool, logger: app.logger });
          try {
            const service = await startService(app, { host: flags.host, port: flags.port, worker: flags.worker, onDispatchEvent: (e) => progress.onEvent(e) });
            progress.start();
            console.error(`bluecast listening on ${service.url} (dashboard at ${service.url}/, webhooks at ${service.url}/webhooks/contiguity)`);
            await signals.promise;
            await service.stop();
          } finally {
            await progress.stop();
            signals.dispose();
          }
        },
        { migrate: true },
      );
    });
}
