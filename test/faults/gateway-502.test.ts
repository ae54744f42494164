import { describe, it } from 'vitest';
import { messageStatuses, phone, seedCampaign } from '../dispatch/fixtures.ts';
import { eventually } from '../helpers/eventually.ts';
import { expectAllSentOnce, useFaultStack, withWorker } from './stack.ts';

/**
 * A gateway in front of the provider answers 502 after the provider accepted
 * every send (the figure of the issue: 20 of 20 recipients got the message
 * twice when a 5xx was read as "not sent"). A `bluecast run` worker with its
 * default settings looks each one up in history instead: all sent, once.
 */
describe('faults: gateway 502 after the provider accepted the send', () => {
  const N = 20;
  const stack = useFaultStack('gateway-502', { faults: { gatewayErrorAfter: 1 } });

  it('every send answered 502: each recipient gets exactly one message, all recorded sent', async () => {
    const { db } = stack;
    const phones = Array.from({ length: N }, (_, i) => phone(i, '628'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 5 });
    await withWorker(stack, 'gateway', async (worker) => {
      await eventually(async () => (await messageStatuses(db.pool, c.id)).sent === N || worker.child.exitCode !== null, 90_000, 'every message recorded sent', 200);
    });
    await expectAllSentOnce(stack, c.id, phones);
  });
});
