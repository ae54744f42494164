import { cp, mkdtemp, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate, migrationStatus, readMigrations } from '../../src/db/migrate.ts';
import { MigrationError } from '../../src/lib/errors.ts';
import { createEmptyDatabase } from '../helpers/db.ts';

async function count(url: string, sql: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(sql)).rows[0].n);
  } finally {
    await c.end();
  }
}

async function copyMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bluecast-mig-'));
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('migrations', () => {
  it('apply once; a second run is a no-op', async () => {
    const url = await createEmptyDatabase();
    const all = (await readMigrations()).map((m) => m.name);
    expect(await migrate(url)).toEqual({ applied: all });
    expect(await migrate(url)).toEqual({ applied: [] });
    expect(await count(url, 'SELECT count(*) AS n FROM _prisma_migrations')).toBe(all.length);
    const status = await migrationStatus(url);
    expect(status.every((s) => s.state === 'applied')).toBe(true);
  });

  it('two concurrent runs both succeed and apply the schema once', async () => {
    const url = await createEmptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const applied = results.flatMap((r) => r.applied);
    expect(applied).toEqual((await readMigrations()).map((m) => m.name));
    expect(await count(url, 'SELECT count(*) AS n FROM _prisma_migrations')).toBe(applied.length);
  });

  it('records rows Prisma Migrate recognises (sha256 checksum, finished, one step)', async () => {
    const url = await createEmptyDatabase();
    await migrate(url);
    const [file] = await readMigrations();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query('SELECT * FROM _prisma_migrations');
    await c.end();
    expect(rows[0]).toMatchObject({ migration_name: file!.name, checksum: file!.checksum, applied_steps_count: 1, rolled_back_at: null });
    expect(rows[0].finished_at).toBeInstanceOf(Date);
    expect(rows[0].id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('status lists pending migrations before they run', async () => {
    const url = await createEmptyDatabase();
    const status = await migrationStatus(url);
    expect(status.length).toBeGreaterThan(0);
    expect(status.every((s) => s.state === 'pending')).toBe(true);
  });

  it('refuses to run when an applied migration file changed', async () => {
    const dir = await copyMigrations();
    const url = await createEmptyDatabase();
    await migrate(url, dir);
    await appendFile(path.join(dir, '20261127000000_init', 'migration.sql'), '\n-- edited later\n');
    await expect(migrate(url, dir)).rejects.toThrow(MigrationError);
    await expect(migrate(url, dir)).rejects.toThrow(/20261127000000_init/);
    expect((await migrationStatus(url, dir))[0]?.state).toBe('changed');
  });

  it('a failing migration leaves nothing behind', async () => {
    const dir = await copyMigrations();
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(path.join(dir, '20991231000000_broken'));
    await writeFile(path.join(dir, '20991231000000_broken', 'migration.sql'), 'CREATE TABLE ok_then (id int);\nSELECT * FROM no_such_table;');
    const url = await createEmptyDatabase();
    await expect(migrate(url, dir)).rejects.toThrow(/20991231000000_broken failed/);
    expect(await count(url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).toBe(0);
  });
});
