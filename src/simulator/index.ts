import { WebhookEmitter, type EmittedRecord } from './emitter.ts';
import type { Faults, FaultsInput } from './faults.ts';
import { resolveOptions, type ResolvedSimulatorOptions, type SimulatorOptions } from './options.ts';
import { Scheduler } from './scheduler.ts';
import { buildSimulatorApp, type ReceivedRequest } from './server.ts';
import { World, type SentRecord } from './world.ts';

export type { EmittedRecord, WebhookEvent } from './emitter.ts';
export type { Faults, FaultsInput } from './faults.ts';
export { SIMULATOR_DEFAULTS, type SimulatorOptions, type SimulatorTiming, type SimulatorWebhookOptions } from './options.ts';
export type { PacingConfig } from './pacing.ts';
export type { Channel, SentRecord } from './world.ts';
export type { ReceivedRequest } from './server.ts';

const AVAILABILITY_PATH = '/conversations/availability/imessage/';

export interface SimulatorHandle {
  /** Base URL (host root) to give the client as baseUrl. */
  url: string;
  /** A key the simulator accepts. */
  apiKey: string;
  /** The webhook secret events are signed with. */
  secret: string;
  options: ResolvedSimulatorOptions;
  /** Every send accepted so far, in order. */
  sent(): SentRecord[];
  /** API requests received so far (not /__sim/*), whether answered or not. */
  requests(): number;
  /** Each API request that passed the fault and key checks, with its body and the status answered (empty unless recordRequests). */
  received(): ReceivedRequest[];
  /** The availability lookups among received(), with their arrival time (epoch ms) and the status answered (empty unless recordRequests). */
  availabilityRequests(): { to: string; at: number; status: number }[];
  /** Every webhook emitted so far, with its delivery state. */
  webhooks(): EmittedRecord[];
  /** Whether a number has iMessage in this simulation (same answer as availability). */
  hasImessage(to: string): boolean;
  faults(): Faults;
  setFaults(f: Partial<Faults> | FaultsInput): void;
  clearFaults(): void;
  /** Stop the server, the scheduled deliveries and pending webhooks. Idempotent. */
  stop(): Promise<void>;
}

/** Start a simulated provider on a real HTTP port. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const opts = resolveOptions(options);
  const world = new World(opts);
  const scheduler = new Scheduler();
  // The emitter reads the skew fault from the app, built after it.
  let app: ReturnType<typeof buildSimulatorApp> | undefined;
  const skewSeconds = () => app?.getFaults().signatureSkewSeconds ?? 0;
  const emitter = opts.webhookUrl
    ? new WebhookEmitter({ url: opts.webhookUrl, secret: opts.secret, ...opts.webhook, skewSeconds }, scheduler, opts.logger?.child({ component: 'simulator-webhooks' }))
    : undefined;
  const sim = buildSimulatorApp({ opts, world, scheduler, emitter });
  app = sim;
  await sim.app.listen({ port: opts.port, host: opts.host });
  const addr = sim.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('simulator did not bind a TCP port');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let stopping: Promise<void> | undefined;
  const url = `http://${host}:${addr.port}`;
  opts.logger?.info({ url, webhookUrl: opts.webhookUrl, seed: opts.seed, pacing: opts.pacing }, 'provider simulator listening');
  return {
    url,
    apiKey: opts.apiKey ?? 'contiguity_sk_simulator',
    secret: opts.secret,
    options: opts,
    sent: () => world.sent.slice(),
    requests: () => sim.requestCount(),
    received: () => sim.received(),
    availabilityRequests: () =>
      sim
        .received()
        .filter((r) => r.path.startsWith(AVAILABILITY_PATH))
        .map((r) => ({ to: decodeURIComponent(r.path.slice(AVAILABILITY_PATH.length)), at: r.at, status: r.status })),
    webhooks: () => emitter?.records.slice() ?? [],
    hasImessage: (to) => world.hasImessage(to),
    faults: () => ({ ...sim.getFaults() }),
    setFaults: (f) => sim.setFaults(f),
    clearFaults: () => sim.clearFaults(),
    stop() {
      stopping ??= (async () => {
        scheduler.stop();
        emitter?.stop();
        await sim.app.close();
      })();
      return stopping;
    },
  };
}
