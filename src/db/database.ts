import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type { PrismaClient };

/**
 * One pool for the process: Prisma (through its pg adapter) and the
 * hand-written statements that need a raw connection (COPY, advisory locks)
 * share it, so the connection budget is counted once.
 */
export interface Database {
  readonly url: string;
  readonly pool: pg.Pool;
  readonly prisma: PrismaClient;
  close(): Promise<void>;
}

// int8 and numeric come back as strings from pg by default; counts we read are
// well inside the safe integer range, and ids stay bigint through Prisma.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function openDatabase(url: string, opts: { max?: number; applicationName?: string } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'bluecast',
    // A restarted server leaves dead sockets in the pool; fail fast and reconnect.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on('error', () => undefined);
  // Nor a checked-out one (a transaction between statements, or even mid-statement:
  // pg emits 'error' on the client when its connection ends, and the pool only
  // listens while the client is idle). The loss still fails the statement in
  // flight or the next one ("not queryable"), and release() discards the client.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closing: Promise<void> | undefined;
  return {
    url,
    pool,
    prisma,
    close() {
      closing ??= (async () => {
        await prisma.$disconnect().catch(() => undefined);
        await pool.end().catch(() => undefined);
      })();
      return closing;
    },
  };
}
