import { describe, expect, it } from 'vitest';
import { createCampaign, findCampaign, parseCampaignDefinition } from '../../src/campaigns/definition.ts';
import { campaignTransitions, cancelCampaign, pauseCampaign, resumeCampaign, transitionCampaign } from '../../src/campaigns/status.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../src/lib/errors.ts';
import { createTestDatabase } from '../helpers/db.ts';

function problems(input: unknown): string[] {
  try {
    parseCampaignDefinition(input);
  } catch (err) {
    if (err instanceof ValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('campaign definition', () => {
  it('applies the provider guidance as defaults', () => {
    const d = parseCampaignDefinition({ name: 'spring', message: 'Hi' });
    expect(d).toMatchObject({
      ratePerLine: 1,
      burst: 5,
      newContactsPerHour: 20,
      newContactsPerDay: 100,
      window: { start: 540, end: 1260 },
      timezone: 'America/New_York',
      region: 'US',
      concurrency: 8,
    });
  });

  it('rejects unknown zones, bad cron, both schedules, bad lines, bad windows and bad templates, naming each field', () => {
    expect(problems({ name: 'a', message: 'x', timezone: 'Mars/Olympus' })).toEqual([
      'timezone: unknown time zone "Mars/Olympus" (use an IANA name such as America/New_York)',
    ]);
    expect(problems({ name: 'a', message: 'x', cron: '61 * * * *' })).toEqual([
      'cron: "61 * * * *" is not a valid cron expression: Constraint error, got value 61 expected range 0-59',
    ]);
    expect(problems({ name: 'a', message: 'x', cron: '* * *' })[0]).toMatch(/^cron: "\* \* \*" has 3 field\(s\); use five/);
    expect(problems({ name: 'a', message: 'x', cron: '0 9 * * *', at: '2030-01-01T09:00:00Z' })).toEqual([
      'at: give either a one-off time (at) or a cron expression, not both',
    ]);
    expect(problems({ name: 'a', message: 'x', at: 'tomorrow' })[0]).toMatch(/^at: must be an ISO 8601 time/);
    expect(problems({ name: 'a', message: 'x', from: ['+15551234567'] })).toEqual(['from[0]: must be a valid E.164 number, e.g. +14155552671']);
    expect(problems({ name: 'a', message: 'x', fallback: 'imessage_fails', fallbackFrom: '12345' })).toEqual([
      'fallbackFrom: must be a valid E.164 number, e.g. +14155552671',
    ]);
    expect(problems({ name: 'a', message: 'x', fallbackFrom: '+14155552671' })[0]).toMatch(/^fallbackFrom: needs a fallback condition/);
    expect(problems({ name: 'a', message: 'x', window: '21:00-09:00' })[0]).toMatch(/window must end after it starts/);
    expect(problems({ name: 'a', message: 'Hi {{name' })).toEqual(["message: '{{' is never closed with '}}' (at character 4)"]);
    expect(problems({ name: 'a', message: 'x', frobnicate: 1 })[0]).toMatch(/Unrecognized key/);
  });

  it('bounds every rate, count and duration, naming the field and its range', () => {
    const base = { name: 'bounded', message: 'Hi' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ratePerLine: 1e-300 }, /^ratePerLine: must be from 0.01 to 100 messages per second per line$/],
      [{ ratePerLine: 'NaN' }, /^ratePerLine: must be from 0.01 to 100/],
      [{ ratePerLine: 1e308 }, /^ratePerLine: /],
      [{ ratePerLine: -1 }, /^ratePerLine: /],
      [{ burst: 0 }, /^burst: must be a whole number from 1 to 100 messages per line$/],
      [{ burst: 2.5 }, /^burst: must be a whole number/],
      [{ concurrency: 1e6 }, /^concurrency: must be a whole number from 1 to 256 sends in flight$/],
      [{ newContactsPerHour: 0 }, /^newContactsPerHour: must be a whole number from 1 to 10000/],
      [{ newContactsPerDay: 1e9 }, /^newContactsPerDay: must be a whole number from 1 to 100000/],
      [{ newContactsPerHour: 50, newContactsPerDay: 10 }, /^newContactsPerHour: 50 a hour is more than newContactsPerDay \(10\)$/],
      [{ jitterMs: 1e12 }, /^jitterMs: must be a whole number from 0 to 60000 milliseconds$/],
      [{ maxAttempts: 1000 }, /^maxAttempts: must be a whole number from 1 to 20 attempts$/],
      [{ window: '09:00-09:05' }, /^window: "09:00-09:05": the window must be at least 15 minutes long$/],
      [{ attachments: Array.from({ length: 11 }, (_, i) => `https://x.example/${i}.png`) }, /^attachments: at most 10 attachments/],
    ];
    for (const [over, expected] of cases) {
      const got = problems({ ...base, ...over });
      expect(got, JSON.stringify(over)).toHaveLength(1);
      expect(got[0], JSON.stringify(over)).toMatch(expected);
    }
    expect(problems({ ...base, ratePerLine: 0.01, burst: 100, concurrency: 256, window: '09:00-09:15', maxAttempts: 20 })).toEqual([]);
  });

  it('accepts flag-style strings: comma lists, numbers, "any" window', () => {
    const d = parseCampaignDefinition({
      name: 'b',
      message: 'x',
      fallback: 'imessage_unsupported,imessage_fails',
      from: ['+14155552671', '+14155552672'],
      concurrency: '4',
      ratePerLine: '0.5',
      window: 'any',
      cron: '0 9 * * MON-FRI',
      timezone: 'Europe/London',
    });
    expect(d).toMatchObject({ fallback: ['imessage_unsupported', 'imessage_fails'], concurrency: 4, ratePerLine: 0.5, window: null });
  });
});

describe('campaigns in the database', async () => {
  const db = await createTestDatabase();

  it('creates draft or scheduled campaigns; names are unique; found by name or id', async () => {
    const draft = await createCampaign(db, { name: 'draft-one', message: 'Hi' });
    expect(draft.status).toBe('draft');
    const sched = await createCampaign(db, { name: 'cron-one', message: 'Hi', cron: '0 10 * * *', timezone: 'america/chicago', window: '08:30-20:00' });
    expect(sched).toMatchObject({ status: 'scheduled', timezone: 'America/Chicago', windowStartMinute: 510, windowEndMinute: 1200 });
    await expect(createCampaign(db, { name: 'draft-one', message: 'again' })).rejects.toThrow(new ConflictError('a campaign named "draft-one" already exists'));
    expect((await findCampaign(db.prisma, 'cron-one')).id).toBe(sched.id);
    expect((await findCampaign(db.prisma, String(sched.id))).name).toBe('cron-one');
    await expect(findCampaign(db.prisma, 'nope')).rejects.toThrow(new NotFoundError('campaign "nope" not found'));
  });

  it('pause, resume and cancel follow the transition map; illegal moves are ConflictErrors', async () => {
    const c = await createCampaign(db, { name: 'flow', message: 'Hi', at: '2030-01-01T15:00:00Z' });
    expect(c.status).toBe('scheduled');
    expect(await pauseCampaign(db.prisma, c)).toBe('paused');
    await expect(pauseCampaign(db.prisma, c)).rejects.toThrow(/campaign "flow" is paused; cannot pause it \(only a scheduled or running campaign can be paused\)/);
    expect(await resumeCampaign(db.prisma, c)).toBe('scheduled');

    // A paused campaign with a run in progress resumes to running.
    const run = await db.prisma.campaignRun.create({ data: { campaignId: c.id, scheduledFor: new Date(), status: 'running' } });
    expect(await transitionCampaign(db.prisma, c.id, 'running')).toBe(true);
    expect(await pauseCampaign(db.prisma, c.id)).toBe('paused');
    expect(await resumeCampaign(db.prisma, c.id)).toBe('running');

    // Cancel marks queued messages cancelled in the same statement, leaves sent ones alone.
    const contact = await db.prisma.contact.create({ data: { phone: '+14155552671' } });
    const base = { campaignId: c.id, runId: run.id, contactId: contact.id, toPhone: contact.phone, body: 'Hi' };
    await db.prisma.outboundMessage.createMany({ data: [{ ...base }, { ...base, status: 'sent' }] });
    expect(await cancelCampaign(db.prisma, c)).toEqual({ status: 'cancelled', messages: 1, runs: 1 });
    const statuses = await db.prisma.outboundMessage.findMany({ where: { campaignId: c.id }, select: { status: true }, orderBy: { id: 'asc' } });
    expect(statuses.map((s) => s.status)).toEqual(['cancelled', 'sent']);
    await expect(resumeCampaign(db.prisma, c)).rejects.toThrow(/is cancelled; cannot resume it/);
    expect(await transitionCampaign(db.prisma, c.id, 'running')).toBe(false);
    // Only unschedule returns to draft (and only while no run exists: src/campaigns/schedule.ts).
    expect(campaignTransitions.draft).toEqual(['scheduled']);
    expect(await transitionCampaign(db.prisma, c.id, 'draft')).toBe(false);
  });

  it('two concurrent pauses: exactly one wins', async () => {
    const c = await createCampaign(db, { name: 'race', message: 'Hi', cron: '0 9 * * *' });
    const results = await Promise.allSettled([pauseCampaign(db.prisma, c), pauseCampaign(db.prisma, c)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });
});
