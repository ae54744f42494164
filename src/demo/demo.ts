import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApp, type App } from '../app.ts';
import { insertCampaign, loadCampaignFile } from '../campaigns/definition.ts';
import { formatImportSummary, importFile } from '../campaigns/import/import-file.ts';
import { scheduleCampaign } from '../campaigns/schedule.ts';
import type { Config } from '../config.ts';
import { createProgressReporter } from '../dispatch/progress.ts';
import type { Logger } from '../lib/logger.ts';
import { buildReport } from '../reports/build.ts';
import { formatReport } from '../reports/text.ts';
import { launchGate } from '../planner/gate.ts';
import { planOptionsFromConfig } from '../planner/setup.ts';
import { createConfiguredClient } from '../provider/configured.ts';
import { startService, type Service } from '../service.ts';
import { startSimulator, type SimulatorHandle } from '../simulator/index.ts';

const SIM_TIMING = { deliveryMs: 1500, readMs: 4000, replyMs: 5000 };

export const DEMO_DEFINITION = fileURLToPath(new URL('../../campaigns/demo.json', import.meta.url));

export interface DemoOptions {
  config: Config;
  logger: Logger;
  definitionFile?: string;
  /** Exit after the report instead of serving the dashboard until a signal. */
  exitAfterReport?: boolean;
  /** Longest wait for the run to finish. */
  timeoutMs?: number;
  /** Resolves when the operator asks to stop (Ctrl-C). */
  untilStopped: Promise<unknown>;
  say?: (line: string) => void;
}

/** Relative to the working directory when inside it, absolute otherwise. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

async function choosePort(preferred: number, host: string): Promise<number> {
  if (preferred !== 0 && (await portIsFree(preferred, host))) return preferred;
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `npm start`: the whole job end to end on the embedded defaults — embedded
 * PostgreSQL, a local provider simulator (unless CONTIGUITY_API_KEY names a
 * real account), the HTTP server and worker, the sample campaign imported and
 * sent, webhooks received, the report printed, the dashboard left running.
 * Running it again reuses the data: the campaign exists, the import adds
 * nothing, the finished run is not sent again.
 */
export async function runDemo(opts: DemoOptions): Promise<void> {
  const say = opts.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const base = opts.config;
  const host = base.HOST;
  const port = await choosePort(base.PORT, host);
  const apiToken = base.BLUECAST_API_TOKEN ?? `demo-${randomBytes(12).toString('hex')}`;

  const file = opts.definitionFile ?? DEMO_DEFINITION;
  const def = await loadCampaignFile(file);

  let sim: SimulatorHandle | undefined;
  let config: Config;
  if (base.CONTIGUITY_API_KEY) {
    config = { ...base, PORT: port, BLUECAST_API_TOKEN: apiToken };
    say(`provider: ${base.CONTIGUITY_BASE_URL} (webhooks must reach ${base.PUBLIC_URL ?? `http://${host}:${port}`}/webhooks/contiguity)`);
  } else {
    const secret = base.WEBHOOK_SECRET?.[0] ?? `whsec_${randomBytes(16).toString('hex')}`;
    sim = await startSimulator({
      port: 0,
      webhookUrl: `http://${host}:${port}/webhooks/contiguity`,
      secret,
      seed: 7,
      // The campaign's lines are the simulated account's leased iMessage lines, as they would be on a real account it sends from.
      lines: def.from,
      replyRatio: 0.12,
      optOutRatio: 0.3,
      timing: SIM_TIMING,
    });
    config = {
      ...base,
      PORT: port,
      CONTIGUITY_API_KEY: sim.apiKey ?? 'contiguity_sk_demo',
      CONTIGUITY_BASE_URL: sim.url,
      WEBHOOK_SECRET: [secret, ...(base.WEBHOOK_SECRET ?? [])],
      BLUECAST_API_TOKEN: apiToken,
      // The simulator's recipients are not people: the demo must run end to end
      // at any hour, so their legal send windows do not hold it. Against the
      // real API (above) they stay as configured, on by default.
      BLUECAST_LEGAL_WINDOWS: 'off',
    };
    say(`provider: local simulator at ${sim.url} (set CONTIGUITY_API_KEY to use the real API)`);
    say('legal send windows: off for the simulated recipients (on with the real API)');
  }

  let app: App | undefined;
  let service: Service | undefined;
  const progress = { stop: async () => undefined as void };
  try {
    app = await openApp({ config, logger: opts.logger, migrate: true });
    // The cluster's real place: as root under a private home it is kept elsewhere (src/db/embedded-place.ts).
    const dataDir = app.server.embedded?.dataDir ?? path.resolve(base.BLUECAST_DATA_DIR);
    say(`database: ${base.DATABASE_URL ? 'DATABASE_URL' : `embedded PostgreSQL, data in ${dataDir}`}`);

    const existing = await app.db.prisma.campaign.findUnique({ where: { name: def.name } });
    const campaign = existing ?? (await insertCampaign(app.db, def));
    say(existing ? `campaign "${campaign.name}" exists (#${campaign.id}): reusing it` : `created campaign "${campaign.name}" (#${campaign.id}) from ${displayPath(file)}`);

    if (campaign.status === 'completed' || campaign.status === 'cancelled') {
      // A finished campaign takes no recipients and sends nothing again.
      say(`campaign is ${campaign.status}: nothing to import or send`);
    } else if (campaign.csvPath) {
      const summary = await importFile(app.db, campaign, campaign.csvPath);
      console.log(formatImportSummary(summary));
    }

    // A one-off demo send: the draft is scheduled for now through the launch
    // gate every other way of scheduling uses, so a campaign file the plan
    // blocks (no opt-out instruction, unusable lines...) is refused here too.
    // A campaign already scheduled or running is left as it is.
    if (campaign.status === 'draft') {
      const client = createConfiguredClient(config, { logger: app.logger });
      try {
        const plan = await scheduleCampaign(app.db.prisma, campaign, { now: true }, new Date(), launchGate(app.db.pool, planOptionsFromConfig(config, client)));
        say(`scheduled: ${plan.summary}`);
      } finally {
        client?.close();
      }
    }

    const reporter = createProgressReporter({ pool: app.db.pool, logger: app.logger, stream: process.stderr });
    progress.stop = () => reporter.stop();
    service = await startService(app, {
      port,
      onDispatchEvent: (e) => reporter.onEvent(e),
      webhooks: { reconciler: { intervalMs: 1_000, policy: { firstDelayMs: 2_000, maxDelayMs: 10_000 } } },
    });
    reporter.start();
    say(`server: ${service.url}`);

    const app_ = app;
    const status = await waitFor(
      'the campaign to finish sending',
      async () => {
        const c = await app_.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id }, select: { status: true } });
        return ['completed', 'cancelled'].includes(c.status) ? c.status : undefined;
      },
      opts.timeoutMs ?? 150_000,
    );
    await reporter.stop();
    say(`campaign ${status}`);

    if (sim) {
      // Deliveries and replies arrive a few seconds after the last send.
      // Each is due at most 1.5x its mean timing after the send (the simulator's spread).
      const simulator = sim;
      const lastSend = Math.max(0, ...simulator.sent().map((s) => Date.parse(s.at)));
      const settledAt = lastSend + 1.5 * SIM_TIMING.replyMs + 1_000;
      await waitFor(
        'delivery receipts and replies',
        async () => (Date.now() >= settledAt && simulator.webhooks().every((w) => w.state !== 'pending') ? true : undefined),
        30_000,
      ).catch((err: Error) => say(`note: ${err.message}`));
      // Every webhook has been answered, so it is stored: process what is
      // left of them, and let conversation care finish its replies.
      await service.webhooks.processor.drain();
      await service.webhooks.care?.idle();
    }

    say('');
    say(formatReport(await buildReport(app.db.pool, campaign.id, { legalWindows: config.BLUECAST_LEGAL_WINDOWS })));
    say('');
    say(`dashboard: ${service.url}/  (sign in with BLUECAST_API_TOKEN=${apiToken})`);
    if (opts.exitAfterReport) return;
    say('press Ctrl-C to stop');
    await opts.untilStopped;
  } finally {
    await progress.stop();
    await service?.stop();
    await sim?.stop();
    await app?.close();
  }
}
