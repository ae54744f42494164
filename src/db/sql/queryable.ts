import type pg from 'pg';

/**
 * Anything that runs a statement: the pool for one-shot statements, a checked-out
 * client when statements must share a transaction (enqueue, line assignment).
 */
export type Queryable = pg.Pool | pg.PoolClient;

/** Run `fn` in a transaction on a client of its own; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
