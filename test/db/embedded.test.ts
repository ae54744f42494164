import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';

describe('embedded PostgreSQL (no DATABASE_URL)', () => {
  it('creates its cluster in BLUECAST_DATA_DIR, keeps data across runs and stops when the command ends', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bluecast-embedded-'));
    afterAll(() => rm(dir, { recursive: true, force: true }));
    // mkdtemp makes it 0700: as root that would relocate the data (embedded-place.test.ts covers it).
    await chmod(dir, 0o755);
    const env = { DATABASE_URL: undefined, BLUECAST_DATA_DIR: path.join(dir, '.bluecast'), EMBEDDED_PG_PORT: String(await freePort()) };

    const first = await runCli(['db', 'migrate'], { env, cwd: dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied \d+ migration/);
    expect(existsSync(path.join(dir, '.bluecast', 'pg', 'PG_VERSION'))).toBe(true);
    // stopped cleanly: no server left behind holding the data directory
    expect(existsSync(path.join(dir, '.bluecast', 'pg', 'postmaster.pid'))).toBe(false);

    const second = await runCli(['db', 'migrate'], { env, cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/up to date/);
  }, 60_000);
});
