import { describe, expect, it } from 'vitest';
import { runChecks, type CheckFacts } from '../../src/planner/checks.ts';

// Facts that pass every check; each test changes one thing.
const clean: CheckFacts = {
  message: 'Hi {{first_name|there}}, our sale starts Friday. Reply STOP to opt out.',
  variants: [],
  attachments: [],
  newContacts: 10,
  total: 10,
  unknownZone: 0,
  campaignZone: 'America/New_York',
  finish: '2030-07-02T00:00:00.000Z',
  unscheduled: 0,
  sendBy: new Date('2030-07-03T00:00:00Z'),
  recentContacts: 0,
  recentHours: 24,
  lineProblems: [],
};
const ids = (f: Partial<CheckFacts>) => runChecks({ ...clean, ...f }).map((c) => `${c.level}:${c.id}`);

describe('pre-launch checks, one by one', () => {
  it('clean facts pass them all', () => expect(ids({})).toEqual([]));
  it('no opt-out instruction for new contacts blocks (in any variant); none needed when all are known', () => {
    expect(ids({ message: 'Hi {{first_name}}' })).toEqual(['block:opt-out-missing']);
    expect(ids({ variants: ['Hello {{first_name}}'] })).toEqual(['block:opt-out-missing']);
    expect(ids({ message: 'Hi {{first_name}}', newContacts: 0 })).toEqual([]);
    expect(runChecks({ ...clean, message: 'Hi {{first_name}}' })[0]!.fix).toMatch(/Reply STOP/);
  });
  it('a link or media in a first touch warns', () => {
    expect(ids({ message: `${clean.message} See https://shop.example/x` })).toEqual(['warn:first-touch-link']);
    expect(ids({ message: `${clean.message} shop at bit.ly/abc` })).toEqual(['warn:first-touch-link']);
    expect(ids({ attachments: ['https://cdn.example/a.png'] })).toEqual(['warn:first-touch-media']);
    expect(ids({ attachments: ['https://cdn.example/a.png'], newContacts: 0 })).toEqual([]);
  });
  it('recipients without a known zone warn, naming the zone used', () => {
    const [c] = runChecks({ ...clean, unknownZone: 3 });
    expect(c).toMatchObject({ id: 'unknown-zone', level: 'warn' });
    expect(c!.message).toMatch(/^3 recipient\(s\).*America\/New_York/);
  });
  it('identical bodies for everyone warn; a variable, a variant or alternatives make them differ', () => {
    expect(ids({ message: 'Sale Friday. Reply STOP to opt out.' })).toEqual(['warn:identical-bodies']);
    expect(ids({ message: '{Hi|Hello}! Sale Friday. Reply STOP to opt out.' })).toEqual([]);
    expect(ids({ message: 'Sale Friday. Reply STOP to opt out.', variants: ['Sale on Friday. Reply STOP to opt out.'] })).toEqual([]);
    expect(ids({ message: 'Sale Friday. Reply STOP to opt out.', total: 1 })).toEqual([]);
  });
  it('a finish past the deadline (or none within the horizon) blocks; no deadline, no check', () => {
    expect(ids({ finish: '2030-07-04T00:00:00.000Z' })).toEqual(['block:past-deadline']);
    expect(ids({ finish: null, unscheduled: 2 })).toEqual(['block:past-deadline']);
    expect(ids({ finish: '2030-07-04T00:00:00.000Z', sendBy: undefined })).toEqual([]);
  });
  it('people messaged very recently warn', () => {
    expect(runChecks({ ...clean, recentContacts: 4 })[0]!.message).toBe('4 recipient(s) were messaged in the last 24 hours');
  });
  it('line problems (the doctor hook) block, one each', () => {
    expect(ids({ lineProblems: ['+14155550100 is not leased', '+14155550101 failed its health check'] })).toEqual(['block:lines', 'block:lines']);
  });
});
