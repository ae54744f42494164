import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('bluecast rules', () => {
  it('prints every jurisdiction with hours per weekday, holidays, caps, source and as-of', async () => {
    const r = await runCli(['rules']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^US-TX\s+Texas$/m);
    expect(r.stdout).toMatch(/US-TX\.hours\s+hours\s+Mon-Sat 09:00-21:00; Sun 12:00-21:00/);
    expect(r.stdout).toMatch(/US-AL\.holidays\s+holidays\s+public holidays of US-AL: none \(next: /);
    expect(r.stdout).toMatch(/US-FL\.cap\s+cap\s+at most 3 per 24 h per person/);
    expect(r.stdout).toMatch(/as of 2026-12-01: 47 CFR 64\.1200\(c\)\(1\)/);
    expect(r.stdout).toMatch(/deployment caps: none/);
  });

  it('--jurisdiction FL --json: only Florida, as JSON', async () => {
    const r = await runCli(['rules', '--jurisdiction', 'fl', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { jurisdictions: { code: string; rules: { id: string; hours?: unknown; max?: number }[] }[] };
    expect(out.jurisdictions.map((j) => j.code)).toEqual(['US-FL']);
    expect(out.jurisdictions[0]!.rules).toEqual([
      expect.objectContaining({ id: 'US-FL.hours', hours: [{ day: 'Mon-Sun', hours: '08:00-20:00' }] }),
      expect.objectContaining({ id: 'US-FL.cap', max: 3, windowHours: 24 }),
    ]);
  });

  it('an unknown jurisdiction fails, listing those there are; a malformed one is a usage error', async () => {
    const unknown = await runCli(['rules', '--jurisdiction', 'ZZ']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no jurisdiction "ZZ".*US-FL/);
    const bad = await runCli(['rules', '--jurisdiction', 'florida!']);
    expect(bad.code).toBe(2);
  });

  it('shows the override in force, and a bad override file is a usage error naming the file and entry', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bluecast-rules-cli-'));
    const good = path.join(dir, 'rules.json');
    writeFileSync(good, JSON.stringify({ deployment: { caps: [{ id: 'deployment.weekly', kind: 'cap', max: 4, windowHours: 168 }] } }));
    const r = await runCli(['rules'], { env: { BLUECAST_RULES_FILE: good } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(with ${good})`);
    expect(r.stdout).toMatch(/deployment caps: deployment\.weekly: at most 4 per 168 h/);

    const badFile = path.join(dir, 'bad.json');
    writeFileSync(badFile, JSON.stringify({ jurisdictions: { 'US-FL': { name: 'Florida', rules: [{ id: 'x', kind: 'cap', max: 3, windowHours: -1, source: { citation: 'Fla. Stat. § 501.616' }, asOf: '2026-12-01' }] } } }));
    const bad = await runCli(['rules'], { env: { BLUECAST_RULES_FILE: badFile } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(badFile);
    expect(bad.stderr).toMatch(/jurisdictions\.US-FL\.rules\.0\.windowHours/);
  });

  it('BLUECAST_FREQUENCY_CAPS adds deployment caps; a malformed one names the variable and the part', async () => {
    const r = await runCli(['rules'], { env: { BLUECAST_FREQUENCY_CAPS: '4/7d, all:10/30d' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/deployment caps: env\.4-per-168h: at most 4 per 168 h; env\.all\.10-per-720h: at most 10 per 720 h/);
    const bad = await runCli(['rules'], { env: { BLUECAST_FREQUENCY_CAPS: '4/7d,four a week' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/BLUECAST_FREQUENCY_CAPS: "four a week" is not a cap/);
  });
});
