import type pg from 'pg';

/**
 * Anything that runs a statement: the pool for one-shot statements, a checked-out
 * client when statements must share a transaction (enqueue, line assignment).
 */
export type Queryable = Pick<pg.ClientBase, 'query'>;

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
  // A client whose transaction failed may be broken (connection lost, a
  // ROLLBACK that did not go through): release(err) destroys it instead of
  // handing it, perhaps still inside the transaction, to the next caller.
  let broken: Error | undefined;
  try {
    await begin(client);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(broken);
  }
}
