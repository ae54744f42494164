import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulesTable, mergeRules, SHIPPED_RULES_FILE, shippedRulesData } from '../../src/compliance/table.ts';
import { loadConfig } from '../../src/config.ts';
import { ValidationError } from '../../src/lib/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bluecast-rules-'));
function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

const flHours = { id: 'US-FL.hours', kind: 'hours', allowed: { daily: ['09:00-19:00'] }, source: { citation: 'a stricter company reading of § 501.616' }, asOf: '2026-12-01' };

describe('the shipped rules table', () => {
  const table = loadRulesTable();

  it('has federal and the required states, every rule with a source and an as-of date', () => {
    for (const code of ['US', 'US-FL', 'US-OK', 'US-MD', 'US-CT', 'US-TX', 'US-AL', 'US-LA', 'US-MS', 'US-WA']) expect(table.jurisdictions[code], code).toBeDefined();
    for (const j of Object.values(table.jurisdictions)) {
      for (const r of j.rules) {
        expect(r.source.citation.length, r.id).toBeGreaterThan(20);
        expect(r.asOf, r.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
  });

  it('parses hours into minutes and keeps the 3-per-24 h caps', () => {
    const fl = table.jurisdictions['US-FL']!.rules;
    expect(fl.find((r) => r.kind === 'hours')).toMatchObject({ allowed: { daily: [[480, 1200]] } });
    for (const code of ['US-FL', 'US-OK', 'US-MD']) expect(table.jurisdictions[code]!.rules.find((r) => r.kind === 'cap'), code).toMatchObject({ max: 3, windowHours: 24 });
  });

  it('only the federal hours apply to transactional messages', () => {
    const all = Object.values(table.jurisdictions).flatMap((j) => j.rules.filter((r) => r.appliesTo === 'all').map((r) => r.id));
    expect(all).toEqual(['US.hours']);
  });
});

describe('a deployment override (BLUECAST_RULES_FILE)', () => {
  it('replaces a jurisdiction whole and keeps the others', () => {
    const t = loadRulesTable(file('ok.json', { version: 'acme-1', jurisdictions: { 'US-FL': { name: 'Florida (company policy)', rules: [flHours] } } }));
    expect(t.version).toMatch(/\+acme-1$/);
    expect(t.jurisdictions['US-FL']!.rules).toHaveLength(1);
    expect(t.jurisdictions['US-FL']!.rules[0]).toMatchObject({ allowed: { daily: [[540, 1140]] } });
    expect(t.jurisdictions['US-TX']).toBeDefined();
  });

  it('adds a jurisdiction and deployment caps', () => {
    const t = loadRulesTable(
      file('add.json', {
        jurisdictions: { 'US-NV': { name: 'Nevada', rules: [{ ...flHours, id: 'US-NV.hours' }] } },
        deployment: { caps: [{ id: 'deployment.weekly', kind: 'cap', max: 4, windowHours: 168 }] },
      }),
    );
    expect(t.jurisdictions['US-NV']).toBeDefined();
    expect(t.deployment.caps[0]).toMatchObject({ id: 'deployment.weekly', appliesTo: 'marketing', source: { citation: 'deployment policy' } });
  });

  it.each([
    ['a bad time range', { jurisdictions: { 'US-FL': { name: 'Florida', rules: [{ ...flHours, allowed: { daily: ['20:00-08:00'] } }] } } }, /jurisdictions\.US-FL\.rules\.0\.allowed\.daily\.0: "20:00-08:00" is not a time range/],
    ['a rule without a source', { jurisdictions: { 'US-FL': { name: 'Florida', rules: [{ ...flHours, source: undefined }] } } }, /jurisdictions\.US-FL\.rules\.0\.source/],
    ['an unknown kind', { jurisdictions: { 'US-FL': { name: 'Florida', rules: [{ ...flHours, kind: 'quiet' }] } } }, /jurisdictions\.US-FL\.rules\.0\.kind/],
    ['a misspelt key', { jurisdiction: {} }, /Unrecognized key.*jurisdiction/],
    ['a bad jurisdiction code', { jurisdictions: { Florida: { name: 'Florida', rules: [] } } }, /jurisdictions\.Florida: not a jurisdiction code/],
    ['a cap of zero', { deployment: { caps: [{ id: 'x', kind: 'cap', max: 0, windowHours: 24 }] } }, /deployment\.caps\.0\.max/],
    ['a duplicate rule id', { jurisdictions: { 'US-NV': { name: 'Nevada', rules: [flHours] } } }, /rule id "US-FL.hours" is also used in/],
    ['removing the fallback jurisdiction', { jurisdictions: { US: null } }, /fallbackJurisdictions\.0: no jurisdiction "US"/],
    ['a holiday calendar date-holidays does not have', { jurisdictions: { 'US-AL': { name: 'Alabama', rules: [{ id: 'US-AL.holidays', kind: 'holidays', calendar: 'US-ZZ', allowed: [], source: { citation: 'Ala. Admin. Code r. 770-X-5-.17' }, asOf: '2026-12-01' }] } } }, /jurisdictions\.US-AL\.rules\.0\.calendar: date-holidays has no calendar "US-ZZ"/],
  ])('rejects %s, naming the file and the path', (_name, override, message) => {
    const f = file('bad.json', override);
    const err = errorOf(() => loadRulesTable(f));
    expect(err.message).toContain(f);
    expect(err.message).toMatch(message);
  });

  it('rejects a file that is not JSON or cannot be read, naming it', () => {
    const notJson = file('broken.json', '{ "jurisdictions": ');
    expect(errorOf(() => loadRulesTable(notJson)).message).toMatch(new RegExp(`${notJson}.*not JSON`, 's'));
    expect(errorOf(() => loadRulesTable(path.join(dir, 'missing.json'))).message).toMatch(/missing\.json.*cannot read/s);
  });

  it('does not change the shipped data it merges over', () => {
    const base = shippedRulesData();
    const before = JSON.stringify(base);
    mergeRules(base, { jurisdictions: { 'US-FL': null } }, 'o.json');
    expect(JSON.stringify(base)).toBe(before);
    expect(SHIPPED_RULES_FILE).toMatch(/send-rules\.json$/);
  });

  it('is named by the one config module', () => {
    expect(loadConfig({ BLUECAST_RULES_FILE: ' /etc/bluecast/rules.json ' }).BLUECAST_RULES_FILE).toBe('/etc/bluecast/rules.json');
    expect(loadConfig({}).BLUECAST_RULES_FILE).toBeUndefined();
  });
});
