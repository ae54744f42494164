import { loadConfig, type Config } from './config.ts';
import { resolveDatabase, type DatabaseServer } from './db/connection.ts';
import { openDatabase, type Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { failAbandonedImports } from './db/sql/import-recipients.sql.ts';
import { createLogger, type Logger } from './lib/logger.ts';

/**
 * The composition root: configuration is read once here and everything else
 * receives what it needs as arguments.
 */
export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly server: DatabaseServer;
  readonly db: Database;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  config?: Config;
  logger?: Logger;
  /**
   * Apply pending migrations before returning, and mark failed the imports a
   * dead process left `running` (long-running commands and `import` do).
   */
  migrate?: boolean;
  poolSize?: number;
}

export async function openApp(opts: OpenAppOptions = {}): Promise<App> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const server = await resolveDatabase(config, logger);
  try {
    if (opts.migrate) {
      const { applied } = await migrate(server.url);
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  const db = openDatabase(server.url, { max: opts.poolSize });
  if (opts.migrate) {
    try {
      const abandoned = await failAbandonedImports(db.pool);
      if (abandoned.length) logger.warn({ imports: abandoned }, 'imports left running by a process that stopped are marked failed');
    } catch (err) {
      await db.close();
      await server.stop();
      throw err;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    server,
    db,
    close() {
      // The pool goes first so that the embedded server sees no clients of ours.
      closing ??= db.close().then(() => server.stop());
      return closing;
    },
  };
}
