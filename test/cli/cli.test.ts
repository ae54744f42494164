import { describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../helpers/db.ts';
import { runCli } from '../helpers/cli.ts';

describe('bluecast CLI', () => {
  it('--help lists the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: bluecast/);
    expect(r.stdout).toMatch(/\bdb\b/);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const r = await runCli(['db', 'migrate', '--frob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frob'/);
  });

  it('a bad environment value names the variable, without a stack trace', async () => {
    const r = await runCli(['db', 'status'], { env: { DATABASE_URL: 'mysql://x', PORT: '99999' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(r.stderr).toMatch(/PORT: must be a port number/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('db migrate twice: the second run is a no-op; db status lists what ran', async () => {
    const url = await createEmptyDatabase();
    const pending = await runCli(['db', 'status'], { env: { DATABASE_URL: url } });
    expect(pending.stdout).toMatch(/^pending\s+\d+_init/m);
    const first = await runCli(['db', 'migrate'], { env: { DATABASE_URL: url } });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied \d+ migration/);
    const second = await runCli(['db', 'migrate'], { env: { DATABASE_URL: url } });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/up to date/);
    const status = await runCli(['db', 'status', '--json'], { env: { DATABASE_URL: url } });
    const states = JSON.parse(status.stdout) as { state: string }[];
    expect(states.length).toBeGreaterThan(0);
    expect(states.filter((st) => st.state !== 'applied')).toEqual([]);
  });

  it('two concurrent db migrate processes both exit 0 and apply once', async () => {
    const url = await createEmptyDatabase();
    const [a, b] = await Promise.all([runCli(['db', 'migrate'], { env: { DATABASE_URL: url } }), runCli(['db', 'migrate'], { env: { DATABASE_URL: url } })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const outs = [a.stdout, b.stdout].sort();
    expect(outs[0]).toMatch(/applied \d+ migration/);
    expect(outs[1]).toMatch(/up to date/);
  });
});
