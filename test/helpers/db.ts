import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';

export interface TestDatabase extends Database {
  readonly name: string;
}

function urlFor(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** An empty database name on the test server, not yet created. */
export function uniqueDbName(prefix = 't'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** URL of a fresh, unmigrated database (for migration tests); dropped after the file. */
export async function createEmptyDatabase(): Promise<string> {
  const name = uniqueDbName('empty');
  await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  afterAll(() => dropDatabase(name));
  return urlFor(inject('pgAdminUrl'), name);
}

/**
 * A fresh, migrated database of this file's own, cloned from the template, and
 * dropped when the file's tests are done.
 */
export async function createTestDatabase(opts: { poolSize?: number } = {}): Promise<TestDatabase> {
  const name = uniqueDbName();
  const template = inject('pgTemplate');
  await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(template)}`));
  const db = openDatabase(urlFor(inject('pgAdminUrl'), name), { max: opts.poolSize ?? 5 });
  afterAll(async () => {
    await db.close();
    await dropDatabase(name);
  });
  return Object.assign(db, { name });
}

async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`));
}

/**
 * A database with every migration but `migration` (and `alsoWithout`), for a
 * test of what that migration does to rows an older version left; `applyIt`
 * then runs it the way `db migrate` would.
 */
export async function databaseWithout(migration: string, o: { alsoWithout?: string[] } = {}): Promise<{ client: pg.Client; applyIt(): Promise<void>; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bluecast-mig-'));
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  for (const m of [migration, ...(o.alsoWithout ?? [])]) await rm(path.join(dir, m), { recursive: true });
  const url = await createEmptyDatabase();
  await migrate(url, dir);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    client,
    applyIt: async () => {
      await cp(path.join(DEFAULT_MIGRATIONS_DIR, migration), path.join(dir, migration), { recursive: true });
      await migrate(url, dir);
    },
    close: async () => {
      await client.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
