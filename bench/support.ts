import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '../src/db/connection.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { freePort } from '../test/helpers/net.ts';

export interface BenchDatabase {
  /** URL of the migrated database. */
  readonly url: string;
  /** The bench's scratch folder (the cluster lives in `<dir>/pg`); the bench may keep its own files here. */
  readonly dir: string;
  /** Stops the server and removes the scratch folder, unless `keep`. */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

export interface BenchDatabaseOptions {
  /** Database to create (default `bench`). */
  database?: string;
  /** Create the database on this running server instead of starting an embedded one. */
  adminUrl?: string;
}

/**
 * What every bench does first: a throwaway (ephemeral) embedded Postgres in a
 * temp folder, one database on it, migrated. `prefix` names the temp folder
 * (`bluecast-bench-<prefix>-…`) so a leftover one says whose it is.
 */
export async function startBenchDatabase(prefix: string, opts: BenchDatabaseOptions = {}): Promise<BenchDatabase> {
  const name = opts.database ?? 'bench';
  const dir = await mkdtemp(path.join(tmpdir(), `bluecast-bench-${prefix}-`));
  // mkdtemp makes it 0700; as root the postgres user must reach the data dir inside (else it is kept elsewhere).
  await chmod(dir, 0o755);
  const removeDir = (keep?: boolean) => (keep ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
  if (opts.adminUrl) {
    await ensureDatabase(opts.adminUrl, name);
    const u = new URL(opts.adminUrl);
    u.pathname = `/${name}`;
    const url = u.toString();
    await migrate(url);
    return { url, dir, stop: async (o) => removeDir(o?.keep) };
  }
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), ephemeral: true });
  try {
    await ensureDatabase(server.adminUrl, name);
    const url = server.urlFor(name);
    await migrate(url);
    return {
      url,
      dir,
      async stop(o) {
        await server.stop();
        await removeDir(o?.keep);
      },
    };
  } catch (err) {
    await server.stop();
    await removeDir();
    throw err;
  }
}
