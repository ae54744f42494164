import type pg from 'pg';

/**
 * Anything that runs a statement: the pool for one-shot statements, a checked-out
 * client when statements must share a transaction (enqueue, line assignment).
 */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * Run `fn` in a transaction on a client of its own; rolls back on any error.
 * `begin` opens it: a plain BEGIN, or one that also sets the isolation level or
 * takes a lock in the same round trip.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  begin: (client: pg.PoolClient) => Promise<unknown> = (c) => c.query('BEGIN'),
): Promise<T> {
  const client = await pool.connect();
  try {
    await begin(client);
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
