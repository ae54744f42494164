import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { MigrationError } from '../lib/errors.ts';

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

// Any constant works as long as every bluecast process uses the same one.
const MIGRATION_LOCK_KEY = 7_264_031_905;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationState {
  name: string;
  state: 'applied' | 'pending' | 'changed' | 'missing-file';
  appliedAt?: Date;
}

/** Prisma's layout: <dir>/<timestamp>_<name>/migration.sql, applied in name order. */
export async function readMigrations(dir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8').catch(() => {
        throw new MigrationError(`migration ${name} has no migration.sql`);
      });
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

// The table Prisma Migrate itself keeps, so that `prisma migrate status` and
// friends recognise a database that bluecast migrated.
const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

async function appliedMigrations(client: pg.ClientBase): Promise<AppliedRow[]> {
  const res = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
      WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL ORDER BY migration_name`,
  );
  return res.rows;
}

function compare(files: MigrationFile[], applied: AppliedRow[]): MigrationState[] {
  const byName = new Map(applied.map((a) => [a.migration_name, a]));
  const states: MigrationState[] = files.map((f) => {
    const row = byName.get(f.name);
    if (!row) return { name: f.name, state: 'pending' };
    const base = { name: f.name, appliedAt: row.finished_at ?? undefined };
    return row.checksum === f.checksum ? { ...base, state: 'applied' } : { ...base, state: 'changed' };
  });
  const known = new Set(files.map((f) => f.name));
  for (const a of applied) {
    if (!known.has(a.migration_name)) states.push({ name: a.migration_name, state: 'missing-file', appliedAt: a.finished_at ?? undefined });
  }
  return states.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Apply pending migrations in one transaction under an advisory lock, so two
 * processes migrating at once serialise and the second finds nothing to do.
 * Refuses to run when an applied migration's file has changed since.
 */
export async function migrate(url: string, dir = DEFAULT_MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  const files = await readMigrations(dir);
  const client = new pg.Client({ connectionString: url, application_name: 'bluecast-migrate' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const states = compare(files, await appliedMigrations(client));
    const changed = states.filter((s) => s.state === 'changed');
    if (changed.length) {
      throw new MigrationError(
        `applied migration(s) changed on disk since they ran: ${changed.map((c) => c.name).join(', ')}. ` +
          'Restore the original file(s) and put the change in a new migration.',
      );
    }
    const pending = files.filter((f) => states.find((s) => s.name === f.name)?.state === 'pending');
    for (const m of pending) {
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`);
      }
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
         VALUES ($1, $2, now(), $3, now(), 1)`,
        [randomUUID(), m.checksum, m.name],
      );
    }
    await client.query('COMMIT');
    return { applied: pending.map((m) => m.name) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

export async function migrationStatus(url: string, dir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationState[]> {
  const files = await readMigrations(dir);
  const client = new pg.Client({ connectionString: url, application_name: 'bluecast-migrate' });
  await client.connect();
  try {
    const exists = await client.query(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`);
    const applied = exists.rows[0]?.present ? await appliedMigrations(client) : [];
    return compare(files, applied);
  } finally {
    await client.end();
  }
}
