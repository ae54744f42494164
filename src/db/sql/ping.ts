import type pg from 'pg';

/**
 * `SELECT 1` through the pool, for /healthz: answers within `timeoutMs` or
 * throws. The timer covers waiting for a connection too (a server that is down
 * or a pool that cannot connect), which pg's own query_timeout does not; the
 * query itself, if it ever completes, is simply dropped.
 */
export async function pingDatabase(pool: pg.Pool, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([pool.query('SELECT 1'), late]);
  } finally {
    clearTimeout(timer);
  }
}
