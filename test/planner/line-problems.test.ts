import { afterAll, describe, expect, it } from 'vitest';
import { doctorLineProblems } from '../../src/planner/line-problems.ts';
import { runChecks } from '../../src/planner/checks.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { providerClient } from '../dispatch/fixtures.ts';

const LINES = ['+14155556001', '+14155556002'];

// The plan's "lines" check is the doctor's line check against the provider
// (here the simulator): lines it does not report iMessage-capable block the
// launch, one check each, with a fix.
describe('lines from the doctor in the plan', async () => {
  const none = await startSimulator({ pacing: false, imessageRatio: 0, seed: 20 });
  const all = await startSimulator({ pacing: false, imessageRatio: 1, seed: 20 });
  afterAll(async () => {
    await none.stop();
    await all.stop();
  });

  it('lines the provider does not report iMessage-capable block, each with a fix', async () => {
    const problems = await doctorLineProblems(providerClient(none))(LINES);
    expect(problems).toEqual(LINES.map((l) => `line ${l}: not iMessage-capable: is it leased and activated?`));
    const checks = runChecks({ message: 'Hi {{first_name|there}}, reply STOP to opt out', variants: [], attachments: [], newContacts: 0, total: 2, unknownZone: 0, campaignZone: 'UTC', finish: null, unscheduled: 0, recentContacts: 0, recentHours: 24, lineProblems: problems });
    expect(checks.map((c) => `${c.level}:${c.id}`)).toEqual(['block:lines', 'block:lines']);
    expect(checks[0]!.fix).toMatch(/doctor/);
  });

  it('healthy lines pass; without a provider key it says the lines were not checked', async () => {
    expect(await doctorLineProblems(providerClient(all))(LINES)).toEqual([]);
    expect(await doctorLineProblems(undefined)(LINES)).toEqual(['the campaign\'s 2 line(s) could not be checked: CONTIGUITY_API_KEY is not set']);
    expect(await doctorLineProblems(undefined)([])).toEqual([]);
  });
});
