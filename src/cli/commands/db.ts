import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.ts';
import { CliExit } from '../run-command.ts';

async function withServer<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { resolveDatabase }, { createLogger }] = await Promise.all([
    import('../../config.ts'),
    import('../../db/connection.ts'),
    import('../../lib/logger.ts'),
  ]);
  const config = loadConfig();
  const server = await resolveDatabase(config, createLogger(config.LOG_LEVEL));
  try {
    return await fn(server.url);
  } finally {
    await server.stop();
  }
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('database schema: migrate and inspect');

  db.command('migrate')
    .description('apply pending migrations (safe to run concurrently)')
    .action(async () => {
      const { migrate } = await import('../../db/migrate.ts');
      const { applied } = await withServer((url) => migrate(url));
      console.log(applied.length ? `applied ${applied.length} migration(s):\n${applied.map((a) => `  ${a}`).join('\n')}` : 'database is up to date');
    });

  db.command('status')
    .description('list applied and pending migrations')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { migrationStatus } = await import('../../db/migrate.ts');
      const states = await withServer((url) => migrationStatus(url));
      if (opts.json) {
        console.log(JSON.stringify(states, null, 2));
      } else {
        for (const s of states) console.log(`${s.state.padEnd(12)} ${s.name}${s.appliedAt ? `  (${s.appliedAt.toISOString()})` : ''}`);
      }
      if (states.some((s) => s.state === 'changed' || s.state === 'missing-file')) throw new CliExit(ExitCode.failure);
    });
}
