import { afterAll, beforeAll } from 'vitest';
import { createImessageClient, type ImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle, type SimulatorTiming } from '../../src/simulator/index.ts';
import { LINE, SECRET, startReceiver, type Receiver } from '../webhooks/helpers.ts';
import { startRecordingProxy } from '../webhooks/sim.ts';
import type { WebhookPipelineOptions } from '../../src/webhooks/pipeline.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

/** A conversation with the simulated provider's people: set in beforeAll. */
export interface ConversationStack {
  db: TestDatabase;
  /** The receiver (webhooks, care, the dispatcher that sends care's messages), its provider calls through `proxy`. */
  rx: Receiver;
  /** Records every provider call the receiver's client makes. */
  proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  /** The receiver's client (through the proxy, no retries). */
  client: ImessageClient;
  sim: SimulatorHandle;
  /** A client straight to the simulator: the test's own sends, not recorded. */
  direct: ImessageClient;
}

/**
 * Registers the file's beforeAll/afterAll: a database of its own, a receiver
 * whose provider calls go through a recording proxy to a simulator on LINE,
 * whose people have iMessage, reply to everything, never opt out, and sign
 * their webhooks with SECRET to the receiver.
 */
export function useConversationStack(o: {
  care?: WebhookPipelineOptions['care'];
  timing?: SimulatorTiming;
  /** The simulator keeps every request it received (sim.received()), to check them against the contract. */
  recordRequests?: boolean;
}): ConversationStack {
  const stack = {} as ConversationStack;
  beforeAll(async () => {
    stack.db = await createTestDatabase();
    stack.proxy = await startRecordingProxy();
    stack.client = createImessageClient({ baseUrl: stack.proxy.url, apiKey: 'contiguity_sk_test', retry: { maxRetries: 0, baseDelayMs: 10, maxDelayMs: 10 } });
    stack.rx = await startReceiver(stack.db.pool, { client: stack.client, care: o.care });
    stack.sim = await startSimulator({
      webhookUrl: `${stack.rx.url}/webhooks/contiguity`,
      secret: SECRET,
      lines: [LINE],
      imessageRatio: 1,
      replyRatio: 1,
      optOutRatio: 0,
      pacing: false,
      timing: o.timing,
      recordRequests: o.recordRequests,
    });
    stack.proxy.setTarget(stack.sim.url);
    stack.direct = createImessageClient({ baseUrl: stack.sim.url, apiKey: stack.sim.apiKey });
  });
  afterAll(async () => {
    await stack.rx?.close();
    await stack.sim?.stop();
    await stack.proxy?.close();
  });
  return stack;
}
