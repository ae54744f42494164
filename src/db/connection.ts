import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../lib/logger.ts';
import { sharedPlacesIn } from './embedded-place.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';

export interface DatabaseServer {
  /** Connection URL of bluecast's database. */
  readonly url: string;
  /** Present when bluecast runs its own PostgreSQL. */
  readonly embedded?: EmbeddedPostgres;
  stop(): Promise<void>;
}

const EMBEDDED_DB = 'bluecast';

/**
 * DATABASE_URL when set; otherwise the embedded PostgreSQL whose data lives in
 * BLUECAST_DATA_DIR (config.ts defaultDataDir) and survives restarts.
 */
export async function resolveDatabase(config: Config, logger: Logger): Promise<DatabaseServer> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, stop: async () => undefined };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(config.BLUECAST_DATA_DIR, 'pg'),
    port: config.EMBEDDED_PG_PORT,
    log: (line) => logger.debug({ component: 'embedded-postgres' }, line),
    notice: (line) => logger.info({ component: 'embedded-postgres' }, line),
    sharedPlaces: config.BLUECAST_PG_SHARED_DIR ? sharedPlacesIn(config.BLUECAST_PG_SHARED_DIR) : undefined,
  });
  await ensureDatabase(embedded.adminUrl, EMBEDDED_DB);
  return { url: embedded.urlFor(EMBEDDED_DB), embedded, stop: () => embedded.stop() };
}

/** CREATE DATABASE if missing; tolerant of a concurrent creator. */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return;
    const tpl = template ? ` TEMPLATE ${client.escapeIdentifier(template)}` : '';
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${tpl}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // duplicate_database: someone else won the race
    });
  } finally {
    await client.end();
  }
}
