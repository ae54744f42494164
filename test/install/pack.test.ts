import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.ts';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = process.getuid?.() === 0;

/**
 * The packaging as a user gets it: `npm pack`, then `npm install -g` of the
 * tarball into a prefix of its own, then the installed `bluecast` run from an
 * empty folder with an empty private home. Slow (npm installs every
 * dependency, from its cache when it can): the one test of its kind.
 */
describe('npm pack + npm install -g', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const d of cleanup) await rm(d, { recursive: true, force: true });
  });

  it('gives a working bluecast outside the repository: compiled code, generated client and migrations from the package, data under the data home', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'bluecast-pack-')); // 0700: as root, the postgres user cannot reach the installed binaries
    cleanup.push(base);
    // The globalSetup just built dist/ from these sources and `npm test` generated the
    // client; prepack would redo both, racing the tests that run beside this one.
    const { stdout: packed } = await execFileAsync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', base], { cwd: ROOT, maxBuffer: 1 << 24 });
    const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
    const inTarball = files.map((f) => f.path);
    expect(inTarball).toEqual(expect.arrayContaining(['bin/bluecast.mjs', 'dist/cli/main.js', 'dist/generated/prisma/client.js', 'dist/http/dashboard/index.html', 'campaigns/demo.json']));
    expect(inTarball.some((p) => p.startsWith('prisma/migrations/') && p.endsWith('/migration.sql'))).toBe(true);
    expect(inTarball.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);

    const prefix = path.join(base, 'prefix');
    await execFileAsync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(base, filename)], {
      cwd: base,
      maxBuffer: 1 << 24,
    });
    const bin = path.join(prefix, 'bin', 'bluecast');

    const home = path.join(base, 'home');
    const work = path.join(base, 'work');
    await mkdir(home, { mode: 0o700 });
    await mkdir(work);
    // Stands for /var/cache and /var/lib, which the postgres user can reach (base cannot be).
    const shared = await mkdtemp(path.join(tmpdir(), 'bluecast-pack-shared-'));
    cleanup.push(shared);
    await chmod(shared, 0o755);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LOG_LEVEL: 'warn', EMBEDDED_PG_PORT: String(await freePort()), BLUECAST_PG_SHARED_DIR: path.join(shared, 'pg') };
    const run = (args: string[]) => execFileAsync(bin, args, { cwd: work, env, maxBuffer: 1 << 24 });

    const help = await run(['--help']);
    expect(help.stdout).toMatch(/Usage: bluecast/);

    await run(['campaign', 'create', '--name', 'installed', '--message', 'Hi {{first_name}}', '--from', '+14155552671']);
    const list = await run(['campaign', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { name: string; status: string }[]).map((c) => c.name)).toEqual(['installed']);

    // Nothing in the folder it ran from; the data under the user's data home (or, as
    // root with that home private, in the shared place, named by its path).
    expect(await readdir(work)).toEqual([]);
    const dataDir = path.join(home, '.local', 'share', 'bluecast', 'pg');
    if (isRoot) {
      const origins = (await readdir(path.join(shared, 'pg', 'data'))).filter((f) => f.endsWith('.origin'));
      expect(origins).toHaveLength(1);
      expect((await readdir(path.join(shared, 'pg', 'bin')))[0]).toMatch(/^\d+\.\d+/);
    } else {
      expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    }
  }, 420_000);
});
