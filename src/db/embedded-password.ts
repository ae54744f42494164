import { randomBytes } from 'node:crypto';
import { chown, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/**
 * The superuser password of the embedded PostgreSQL: random per data
 * directory and kept in it, readable by its owner only. The server listens on
 * 127.0.0.1, where any local user (or a page in a browser DNS-rebound to
 * localhost) can reach it; a password every checkout shares would let them in.
 */

/** The file in the data directory that holds the password. */
export const PASSWORD_FILE = 'bluecast-password';

/** What clusters created before this module got; rotated away on their next start. */
export const LEGACY_PASSWORD = 'bluecast';

const INVALID_PASSWORD = '28P01';

export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

async function writeSecret(file: string, password: string, owner?: { uid?: number; gid?: number }): Promise<void> {
  await rm(file, { force: true });
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  if (owner?.uid !== undefined) await chown(file, owner.uid, owner.gid ?? owner.uid);
}

const readSecret = (file: string) => readFile(file, 'utf8').then((s) => s.trim() || undefined, () => undefined);

/**
 * Where initdb reads the password of a new cluster: beside the data directory
 * (initdb wants that directory empty), 0600 and owned by the user PostgreSQL
 * runs as. It stays until savePassword has put the password in the data
 * directory, so that a crash in between loses nothing (resolvePassword tries it).
 */
export function initPasswordFile(dataDir: string): string {
  return `${path.resolve(dataDir)}.initdb-password`;
}

export async function writeInitPasswordFile(dataDir: string, password: string, owner: { uid?: number; gid?: number }): Promise<string> {
  const file = initPasswordFile(dataDir);
  await writeSecret(file, password, owner);
  return file;
}

/** Keep the password in the data directory (atomically: a half-written file would lock us out). */
export async function savePassword(dataDir: string, password: string): Promise<void> {
  const next = path.join(dataDir, `${PASSWORD_FILE}.next`);
  await writeSecret(next, password);
  await rename(next, path.join(dataDir, PASSWORD_FILE));
  await rm(initPasswordFile(dataDir), { force: true });
}

async function accepts(port: number, user: string, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  try {
    await client.connect();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === INVALID_PASSWORD) return false;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The superuser password of the running cluster in `dataDir`. The saved one
 * when there is one; otherwise the first that the server accepts of: a
 * rotation cut short (`.next`), the password of an initdb cut short, the
 * legacy constant. Anything but the saved file is replaced at once by a new
 * random password (ALTER ROLE), written first to `.next` so that a crash
 * during the rotation is recovered on the next start.
 */
export async function resolvePassword(opts: { dataDir: string; port: number; user: string; log?: (line: string) => void }): Promise<string> {
  const saved = await readSecret(path.join(opts.dataDir, PASSWORD_FILE));
  if (saved) return saved;
  const candidates = [await readSecret(path.join(opts.dataDir, `${PASSWORD_FILE}.next`)), await readSecret(initPasswordFile(opts.dataDir)), LEGACY_PASSWORD];
  for (const candidate of candidates) {
    if (candidate === undefined || !(await accepts(opts.port, opts.user, candidate))) continue;
    if (candidate !== LEGACY_PASSWORD) {
      await savePassword(opts.dataDir, candidate);
      return candidate;
    }
    const fresh = newPassword();
    const next = path.join(opts.dataDir, `${PASSWORD_FILE}.next`);
    await writeSecret(next, fresh);
    const client = new pg.Client({ host: '127.0.0.1', port: opts.port, user: opts.user, password: candidate, database: 'postgres' });
    await client.connect();
    try {
      await client.query(`ALTER ROLE ${client.escapeIdentifier(opts.user)} PASSWORD ${client.escapeLiteral(fresh)}`);
    } finally {
      await client.end();
    }
    await savePassword(opts.dataDir, fresh);
    opts.log?.(`replaced the built-in superuser password of ${opts.dataDir} with a random one (kept in ${PASSWORD_FILE})`);
    return fresh;
  }
  throw new Error(
    `cannot sign in to the embedded PostgreSQL in ${opts.dataDir}: ${PASSWORD_FILE} is missing and no known password works; restore the file or set DATABASE_URL`,
  );
}
