import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';

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
