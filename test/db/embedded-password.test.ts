import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LEGACY_PASSWORD, PASSWORD_FILE } from '../../src/db/embedded-password.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { freePort } from '../helpers/net.ts';

async function signIn(port: number, password: string): Promise<'ok' | string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  try {
    await client.connect();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The embedded PostgreSQL listens on 127.0.0.1 with a superuser password of
 * its own per data directory, kept in it (0600), never the built-in constant;
 * a cluster made with the constant by an older bluecast is rotated on start.
 */
describe('embedded PostgreSQL: the superuser password', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const newDir = async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'bluecast-pgpw-'));
    dirs.push(d);
    // mkdtemp makes it 0700; as root the postgres user must reach the data dir inside (else it is kept elsewhere).
    await chmod(d, 0o755);
    return path.join(d, 'pg');
  };

  it('is random per data directory, kept in it with mode 0600; the built-in one is refused', async () => {
    const [a, b] = [await newDir(), await newDir()];
    const [pa, pb] = [await freePort(), await freePort()];
    const sa = await startEmbeddedPostgres({ dataDir: a, port: pa, ephemeral: true });
    const sb = await startEmbeddedPostgres({ dataDir: b, port: pb, ephemeral: true });
    try {
      const [wa, wb] = [(await readFile(path.join(a, PASSWORD_FILE), 'utf8')).trim(), (await readFile(path.join(b, PASSWORD_FILE), 'utf8')).trim()];
      expect(wa).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(wa).not.toBe(wb);
      expect((await stat(path.join(a, PASSWORD_FILE))).mode & 0o777).toBe(0o600);
      expect(await signIn(pa, LEGACY_PASSWORD)).toBe('28P01');
      expect(await signIn(pa, wb)).toBe('28P01');
      expect(await signIn(pa, wa)).toBe('ok');
      expect(decodeURIComponent(new URL(sa.adminUrl).password)).toBe(wa);
      // Nothing is left beside the data directory (initdb's copy is gone).
      expect(existsSync(`${a}.initdb-password`)).toBe(false);
    } finally {
      await Promise.all([sa.stop(), sb.stop()]);
    }
    // A restart reads the same password back.
    const again = await startEmbeddedPostgres({ dataDir: a, port: pa, ephemeral: true });
    try {
      expect(await signIn(pa, decodeURIComponent(new URL(again.adminUrl).password))).toBe('ok');
    } finally {
      await again.stop();
    }
  }, 120_000);

  it('a data directory made with the old constant password keeps working and gets a random one on start', async () => {
    const dir = await newDir();
    const port = await freePort();
    // What an older bluecast left: the cluster with the constant, and no password file.
    const old = await startEmbeddedPostgres({ dataDir: dir, port, ephemeral: true, password: LEGACY_PASSWORD });
    await old.stop();
    await rm(path.join(dir, PASSWORD_FILE));
    const started = await startEmbeddedPostgres({ dataDir: dir, port, ephemeral: true });
    try {
      const saved = (await readFile(path.join(dir, PASSWORD_FILE), 'utf8')).trim();
      expect(saved).not.toBe(LEGACY_PASSWORD);
      expect((await stat(path.join(dir, PASSWORD_FILE))).mode & 0o777).toBe(0o600);
      expect(await signIn(port, LEGACY_PASSWORD)).toBe('28P01');
      expect(await signIn(port, saved)).toBe('ok');
      const c = new pg.Client({ connectionString: started.adminUrl });
      await c.connect();
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await c.end();
    } finally {
      await started.stop();
    }
  }, 120_000);
});
