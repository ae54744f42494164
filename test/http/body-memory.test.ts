import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/net.ts';

const TOKEN = 'body-memory-token-0123456789';

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * The memory-amplification finding of issue #16: without credentials, 8
 * parallel posts of 49 MB to the dashboard (/login and /ui/api/…) used to be
 * read whole before the session was checked (244 → 695 MB RSS). They are now
 * refused before their bodies are read, so the server's RSS barely moves.
 * Measured on a real `bluecast serve` process (its /proc RSS), not on the
 * test process.
 */
describe.runIf(process.platform === 'linux')('hardening: unauthenticated bodies do not take memory', () => {
  it('8 parallel 49 MB posts without a session leave the server RSS within 64 MB of where it was', async () => {
    const db = await createTestDatabase();
    const port = await freePort();
    const server = spawnCli(['serve'], { DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', BLUECAST_API_TOKEN: TOKEN, LOG_LEVEL: 'error' });
    const url = `http://127.0.0.1:${port}`;
    try {
      for (let i = 0; ; i++) {
        const up = await fetch(`${url}/login`).then((r) => r.ok, () => false);
        if (up) break;
        if (i > 300 || server.child.exitCode !== null) throw new Error(`serve did not start:\n${server.stderr()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const pid = server.child.pid!;
      // Warm up the routes once so that lazy initialisation is not counted.
      await fetch(`${url}/ui/api/campaigns`, { headers: { 'x-bluecast-ui': '1' } });
      const before = await rssMb(pid);
      let peak = before;
      const sampler = setInterval(() => {
        void rssMb(pid).then((mb) => (peak = Math.max(peak, mb)), () => undefined);
      }, 25);
      const body = Buffer.alloc(49 * 1024 * 1024, 0x61);
      const targets = ['/login', '/ui/api/campaigns/1/recipients', '/login', '/ui/api/campaigns', '/login', '/ui/api/campaigns/1/recipients', '/login', '/ui/api/campaigns'];
      const statuses = await Promise.all(
        targets.map((t) =>
          fetch(`${url}${t}`, { method: 'POST', headers: { 'content-type': t === '/login' ? 'application/x-www-form-urlencoded' : 'text/csv', 'x-bluecast-ui': '1' }, body })
            .then((r) => r.status)
            // The server may answer and close before the upload ends.
            .catch(() => 0),
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      clearInterval(sampler);
      console.log(`[body-memory] server RSS ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak of 8 × 49 MB unauthenticated posts; answers ${JSON.stringify(statuses)}`);
      for (const s of statuses) expect([0, 401, 413]).toContain(s);
      expect(peak - before).toBeLessThan(64);
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
    }
  }, 120_000);
});
