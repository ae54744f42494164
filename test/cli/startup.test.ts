import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.ts';

const LOAD_LOG = fileURLToPath(new URL('../helpers/load-log.mjs', import.meta.url));
// What a command's own work needs, never its help (bench/cli measures the time).
const HEAVY = ['@prisma', 'fastify', 'pino', 'pg', 'zod', 'tsx', 'libphonenumber-js', 'prom-client'];

describe('CLI start-up', () => {
  const dir = mkdtemp(path.join(tmpdir(), 'bluecast-loads-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  async function loadedBy(args: string[]): Promise<{ stdout: string; modules: string[] }> {
    const log = path.join(await dir, `${args.join('_') || 'none'}.log`);
    const env: NodeJS.ProcessEnv = { ...process.env, BLUECAST_LOAD_LOG: log };
    delete env.BLUECAST_FROM_SOURCE;
    const res = spawnSync(process.execPath, ['--import', LOAD_LOG, BIN, ...args], { env, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    return { stdout: res.stdout, modules: (await readFile(log, 'utf8')).trim().split('\n') };
  }

  const packagesIn = (modules: string[]) =>
    new Set(modules.flatMap((u) => [...u.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]!)));

  it.each([[['--help']], [['campaign', '--help']], [['report', '--help']]])('%j runs the compiled code and loads none of the heavy modules', async (args) => {
    const { stdout, modules } = await loadedBy(args);
    expect(stdout).toMatch(/Usage: bluecast/);
    expect(modules.some((u) => u.includes('/dist/cli/main.js'))).toBe(true);
    expect(modules.some((u) => u.includes('/src/'))).toBe(false);
    const heavy = [...packagesIn(modules)].filter((p) => HEAVY.some((h) => p === h || p.startsWith(`${h}/`)));
    expect(heavy).toEqual([]);
  });
});
