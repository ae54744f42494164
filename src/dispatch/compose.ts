import os from 'node:os';
import type { App } from '../app.ts';
import { compileTemplate, renderMessage } from '../campaigns/template.ts';
import { ConfigError } from '../lib/errors.ts';
import type { ImessageClient } from '../provider/client.ts';
import { createConfiguredClient } from '../provider/configured.ts';
import { systemClock, type Clock } from './clock.ts';
import type { RenderFactory } from './enqueue.ts';
import { createSharedPacer, type Pacer } from './pacing.ts';
import { createPgDispatchStore } from './store.ts';
import { createLegalHoldCheck, windowOnlyRules } from './legal-hold.ts';
import { sendRulesInForce } from '../compliance/in-force.ts';
import { createWorker, type DispatchEvent, type Worker, type WorkerOptions } from './worker.ts';

/** Campaign templates rendered with the campaigns module's template engine. */
export const renderWithTemplates: RenderFactory = (message, variants) => {
  const compiled = compileTemplate(message, variants);
  return (vars, pickKey) => renderMessage(compiled, vars, pickKey);
};

export interface ComposeOptions {
  options?: Partial<WorkerOptions>;
  sender?: Pick<ImessageClient, 'send' | 'history' | 'textHistory'>;
  clock?: Clock;
  workerId?: string;
  onEvent?: (e: DispatchEvent) => void;
  onHeartbeat?: () => void;
  /** Default: the buckets shared through the database. */
  pacer?: Pacer;
  /** Default: BLUECAST_LEGAL_WINDOWS. */
  legalWindows?: boolean;
}

/**
 * The one place a dispatcher is wired from the application: its store on the
 * App's pool, the provider client from configuration, buckets shared through
 * the database (several `bluecast run` processes pace a line together).
 */
export function createDispatchWorker(app: App, o: ComposeOptions = {}): Worker {
  const { config } = app;
  const sender = o.sender ?? createConfiguredClient(config, { logger: app.logger });
  if (!sender) throw new ConfigError(['CONTIGUITY_API_KEY: is required to send']);
  return createWorker({
    store: createPgDispatchStore(app.db.pool),
    sender,
    clock: o.clock ?? systemClock,
    logger: app.logger,
    workerId: o.workerId ?? config.WORKER_ID ?? `${os.hostname()}:${process.pid}`,
    pacer: o.pacer ?? createSharedPacer(app.db.pool),
    legalHold: (o.legalWindows ?? config.BLUECAST_LEGAL_WINDOWS === 'on') ? createLegalHoldCheck(sendRulesInForce(config)) : createLegalHoldCheck(windowOnlyRules(), { caps: false }),
    render: renderWithTemplates,
    options: o.options,
    onEvent: o.onEvent,
    onHeartbeat: o.onHeartbeat,
  });
}
