import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openApp } from '../../src/app.ts';
import { createCampaign } from '../../src/campaigns/definition.ts';
import { importRecipients } from '../../src/campaigns/import/import-recipients.ts';
import { loadConfig } from '../../src/config.ts';
import { ensureDatabase } from '../../src/db/connection.ts';
import { openDatabase } from '../../src/db/database.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ABANDONED_IMPORT_REASON } from '../../src/db/sql/import-recipients.sql.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { phone } from '../dispatch/fixtures.ts';
import { BIN, runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/net.ts';
import { pgCtl } from '../helpers/pg-ctl.ts';
import { eventually } from '../helpers/eventually.ts';

interface ImportRow {
  id: number;
  status: string;
  error: string | null;
}

const importsOf = async (pool: { query: (q: string, v: unknown[]) => Promise<{ rows: ImportRow[] }> }, campaignId: number) =>
  (await pool.query('SELECT id, status::text AS status, error FROM imports WHERE campaign_id = $1 ORDER BY id', [campaignId])).rows;

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${phone(from + i)},P${from + i}\n`).join('');

/**
 * An import whose process is killed, or whose database crashes, mid-file: its
 * transaction is gone (nothing of it is kept), and the next start of bluecast
 * marks its imports row failed with the reason instead of leaving it
 * `running` for ever. A live import in another process is never touched.
 */
describe('faults: imports left running', () => {
  it('kill -9 of `bluecast import` mid-file: the next start marks it failed, a live import is left alone', async () => {
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url };
    const victim = await createCampaign(db, { name: 'killed-import', message: 'Hi {{first_name|there}}' });
    const other = await createCampaign(db, { name: 'live-import', message: 'Hi' });

    /** `bluecast import NAME -` fed from this test, so that it is mid-file for as long as we like. */
    const start = (name: string) => {
      const child = spawn(process.execPath, [BIN, 'import', name, '-'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c));
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.stdin.write(`phone,first_name\n${rows(0, 2_000)}`);
      return { child, exit, stderr: () => err };
    };
    const killed = start(victim.name);
    const live = start(other.name);
    try {
      await eventually(async () => (await importsOf(db.pool, victim.id)).length === 1 && (await importsOf(db.pool, other.id)).length === 1, 30_000, 'both imports recorded', 50);
      killed.child.kill('SIGKILL');
      await killed.exit;
      // The finding: nothing ever moves it on by itself.
      expect(await importsOf(db.pool, victim.id)).toEqual([{ id: expect.any(Number), status: 'running', error: null }]);
      // PostgreSQL notices the dead client and rolls its transaction back, releasing its lock.
      await eventually(async () => {
        const locks = await db.pool.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::int::oid AND granted`, [victim.id]);
        return locks.rowCount === 0;
      }, 15_000, 'the import lock released', 50);

      // The next start (any long-running command or an import) marks it failed.
      const again = await runCli(['campaign', 'list'], { env });
      expect(again.code, again.stderr).toBe(0);
      const [dead] = await importsOf(db.pool, victim.id);
      expect(dead).toMatchObject({ status: 'failed', error: ABANDONED_IMPORT_REASON });
      expect(Number((await db.pool.query('SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1', [victim.id])).rows[0].count)).toBe(0);

      // The import still in progress in the other process was not touched, and finishes.
      expect(await importsOf(db.pool, other.id)).toEqual([{ id: expect.any(Number), status: 'running', error: null }]);
      expect(live.child.exitCode).toBeNull();
      live.child.stdin.end(rows(2_000, 500));
      expect(await live.exit, live.stderr()).toBe(0);
      expect(await importsOf(db.pool, other.id)).toEqual([{ id: expect.any(Number), status: 'committed', error: null }]);

      // And the campaign whose import died takes a new one.
      const retry = await runCli(['import', victim.name, '-'], { env, input: `phone,first_name\n${rows(0, 100)}` });
      expect(retry.code, retry.stderr).toBe(0);
      expect((await importsOf(db.pool, victim.id)).map((r) => r.status)).toEqual(['failed', 'committed']);
    } finally {
      killed.child.kill('SIGKILL');
      live.child.kill('SIGKILL');
    }
  });

  describe('the database crashes mid-import', () => {
    let dir: string;
    afterAll(async () => {
      if (!dir) return;
      await pgCtl(path.join(dir, 'pg'), ['stop', '-m', 'immediate', '-w']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });

    it('the import fails in its process, its row cannot be written then, and the next start marks it failed', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'bluecast-faults-import-'));
      // mkdtemp makes it 0700; as root the postgres user must reach the data dir inside (else it is kept elsewhere).
      await chmod(dir, 0o755);
      const port = await freePort();
      // Durable (not ephemeral): with synchronous_commit off, an immediate stop can lose
      // the committed import row this test is about.
      const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port });
      await ensureDatabase(server.adminUrl, 'faults');
      const url = server.urlFor('faults');
      await migrate(url);
      const db = openDatabase(url, { max: 3 });
      // A crash kills every connection: the pool must not take the process down with it.
      db.pool.on('error', () => undefined);
      const c = await createCampaign(db, { name: 'crashed-import', message: 'Hi' });
      const input = new PassThrough();
      input.write(`phone,first_name\n${rows(0, 1_000)}`);
      const running = importRecipients(db, c, input, { fileName: 'big.csv' });
      running.catch(() => undefined);
      await eventually(async () => (await importsOf(db.pool, c.id)).length === 1, 10_000, 'the import recorded', 20);

      await pgCtl(path.join(dir, 'pg'), ['stop', '-m', 'immediate', '-w']);
      input.end(rows(1_000, 1_000));
      await expect(running).rejects.toThrow();
      await db.close().catch(() => undefined);

      await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port });
      const check = openDatabase(url, { max: 1 });
      try {
        // The import's own "failed" could not reach a database that was down.
        expect(await importsOf(check.pool, c.id)).toEqual([{ id: expect.any(Number), status: 'running', error: null }]);
        // The composition root, as every long-running command opens it.
        const app = await openApp({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }), logger: createLogger('silent'), migrate: true });
        await app.close();
        expect(await importsOf(check.pool, c.id)).toEqual([{ id: expect.any(Number), status: 'failed', error: ABANDONED_IMPORT_REASON }]);
        expect(Number((await check.pool.query('SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1', [c.id])).rows[0].count)).toBe(0);
      } finally {
        await check.close();
      }
    });
  });
});
