import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/sql/queryable.ts';
import { createTestDatabase } from '../helpers/db.ts';

/** Resolves when the client's connection has ended (a plain listener: it must not swallow 'error'). */
const ended = (client: pg.PoolClient) => new Promise<void>((resolve) => client.once('end', () => resolve()));

describe('openDatabase: a lost connection', () => {
  it('while a client is checked out between statements, fails that transaction instead of crashing the process; the pool recovers', async () => {
    const db = await createTestDatabase({ poolSize: 3 });
    const tx = inTransaction(db.pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const gone = ended(client);
      // What a PostgreSQL restart does to every connection (fast shutdown: FATAL 57P01, then the socket closes).
      await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await gone;
      await client.query('SELECT 1');
    });
    await expect(tx).rejects.toThrow();
    // The dead client was discarded, not handed out again.
    for (let i = 0; i < 5; i++) expect((await db.pool.query<{ x: number }>('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
  });

  it('while a one-shot statement runs, fails that statement; the pool recovers', async () => {
    const db = await createTestDatabase({ poolSize: 3 });
    const client = await db.pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    client.release();
    // Settled into a value at once: the rejection can land before the terminate query returns.
    const slow = db.pool.query('SELECT pg_sleep(5)').then(
      () => new Error('pg_sleep finished: the connection was not terminated'),
      (err: Error) => err,
    );
    await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    expect((await slow).message).toMatch(/terminat/);
    expect((await db.pool.query<{ x: number }>('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
  });

  it('a transaction that failed midway does not return its client to the pool: the next one is a fresh connection', async () => {
    const db = await createTestDatabase({ poolSize: 1 });
    const pid = async (c: pg.PoolClient | pg.Pool) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    let inside = 0;
    const failed = inTransaction(db.pool, async (client) => {
      inside = await pid(client);
      await client.query('SELECT 1/0');
    });
    await expect(failed).rejects.toThrow(/division by zero/);
    expect(await pid(db.pool)).not.toBe(inside);
    // A committed one keeps its connection.
    const kept = await inTransaction(db.pool, (client) => pid(client));
    expect(await pid(db.pool)).toBe(kept);
  });
});
