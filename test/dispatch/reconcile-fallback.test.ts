import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImessageClient } from '../../src/provider/client.ts';
import type { DispatchEvent } from '../../src/dispatch/worker.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { messageStatuses, phone, providerClient, seedCampaign, testWorker } from './fixtures.ts';

const SMS_LINE = '+14155550199';

/** The client, counting the history calls the reconciler makes. */
function countingClient(sim: SimulatorHandle) {
  const client = providerClient(sim, { timeoutMs: 2_000 });
  const calls = { history: 0, textHistory: 0 };
  const sender: Pick<ImessageClient, 'send' | 'history' | 'textHistory'> = {
    send: (p, o) => client.send(p, o),
    history: (p, o) => {
      calls.history++;
      return client.history(p, o);
    },
    textHistory: (p, o) => {
      calls.textHistory++;
      return client.textHistory(p, o);
    },
  };
  return { sender, calls };
}

/**
 * Every send's answer is lost after the provider recorded it; the faults end
 * once the worker has seen `n` lost answers, so the reconciler can read history.
 */
function loseAnswers(sim: SimulatorHandle, n: number): (e: DispatchEvent) => void {
  sim.setFaults({ dropConnections: 1, dropPhase: 'after' });
  let lost = 0;
  return (e) => {
    if (e.type === 'ambiguous' && ++lost === n) sim.clearFaults();
  };
}

describe('dispatch: a lost answer of a send that went out as SMS fallback', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    sim = await startSimulator({ pacing: false, imessageRatio: 0.5, replyRatio: 0, seed: 23 });
  });
  afterAll(() => sim?.stop());

  const pick = (area: string, capable: boolean, n: number) => {
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) if (sim.hasImessage(phone(i, area)) === capable) out.push(phone(i, area));
    return out;
  };
  const atSim = (to: string) => sim.sent().filter((s) => s.to === to);
  const rowsOf = async (campaignId: number) =>
    (
      await db.pool.query(
        `SELECT m.to_phone, m.status::text AS status, m.channel::text AS channel, m.fallback_used, m.from_line, m.requested_line,
                m.provider_message_id, m.sent_at, ct.sticky_line
           FROM outbound_messages m JOIN contacts ct ON ct.id = m.contact_id WHERE m.campaign_id = $1 ORDER BY m.id`,
        [campaignId],
      )
    ).rows;

  it('is found in the text history of the iMessage line: recorded sent as sms with fallback, never resent', async () => {
    const [to] = pick('530', false, 1);
    const c = await seedCampaign(db.pool, { phones: [to!], senderLines: ['+14155550100'], fallbackWhen: ['imessage_unsupported'], maxAttempts: 5 });
    const { sender, calls } = countingClient(sim);
    const s = await testWorker(db.pool, sender, { onEvent: loseAnswers(sim, 1) }).runOnce();
    sim.clearFaults();

    expect(s).toMatchObject({ ambiguous: 1, reconciledSent: 1, reconciledRequeued: 0, sent: 0 });
    expect(atSim(to!)).toEqual([expect.objectContaining({ channel: 'sms', from: '+14155550100', fell_back: true })]);
    expect(await rowsOf(c.id)).toEqual([
      expect.objectContaining({ status: 'sent', channel: 'sms', fallback_used: true, from_line: '+14155550100', provider_message_id: null, sticky_line: '+14155550100', sent_at: expect.any(Date) }),
    ]);
    expect(calls.textHistory).toBeGreaterThan(0);
  });

  it('with fallback_from: looked up on the SMS line; the contact keeps the iMessage line as its sticky line', async () => {
    const incapable = pick('531', false, 3);
    const [capable] = pick('531', true, 1);
    const phones = [...incapable, capable!];
    const c = await seedCampaign(db.pool, {
      phones,
      senderLines: ['+14155550101'],
      fallbackWhen: ['imessage_unsupported'],
      fallbackFrom: SMS_LINE,
      concurrency: 4,
      maxAttempts: 5,
    });
    const s = await testWorker(db.pool, countingClient(sim).sender, { onEvent: loseAnswers(sim, phones.length) }).runOnce();
    sim.clearFaults();

    expect(s).toMatchObject({ ambiguous: 4, reconciledSent: 4, reconciledRequeued: 0 });
    for (const to of phones) expect(atSim(to)).toHaveLength(1);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 4 });
    const byTo = new Map((await rowsOf(c.id)).map((r) => [r.to_phone as string, r]));
    for (const to of incapable) {
      expect(atSim(to)[0]).toMatchObject({ channel: 'sms', from: SMS_LINE });
      expect(byTo.get(to)).toMatchObject({ channel: 'sms', fallback_used: true, from_line: SMS_LINE, requested_line: '+14155550101', sticky_line: '+14155550101' });
    }
    // The iMessage-capable one is still found in the iMessage history.
    expect(atSim(capable!)[0]).toMatchObject({ channel: 'imessage', from: '+14155550101' });
    expect(byTo.get(capable!)).toMatchObject({ channel: 'imessage', fallback_used: false, from_line: '+14155550101', sticky_line: '+14155550101' });
  });

  it('a campaign without fallback asks the iMessage history only', async () => {
    const [to] = pick('559', true, 1);
    const c = await seedCampaign(db.pool, { phones: [to!], senderLines: ['+14155550102'] });
    const { sender, calls } = countingClient(sim);
    const s = await testWorker(db.pool, sender, { onEvent: loseAnswers(sim, 1) }).runOnce();
    sim.clearFaults();
    expect(s).toMatchObject({ ambiguous: 1, reconciledSent: 1 });
    expect(atSim(to!)).toHaveLength(1);
    expect(await rowsOf(c.id)).toEqual([expect.objectContaining({ status: 'sent', channel: 'imessage', fallback_used: false })]);
    expect(calls).toMatchObject({ textHistory: 0 });
    expect(calls.history).toBeGreaterThan(0);
  });
});
