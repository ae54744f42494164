import type { Config } from '../config.ts';
import type { Logger } from '../lib/logger.ts';
import { createImessageClient, type ImessageClient, type ImessageClientOptions } from './client.ts';

/**
 * The provider client as configuration describes it, built in this one place
 * (the service, `bluecast run` and the `imessage` commands all get theirs
 * here); undefined when no API key is configured, which each caller treats
 * as it must (the service runs without sending, the others refuse).
 */
export function createConfiguredClient(
  config: Pick<Config, 'CONTIGUITY_BASE_URL' | 'CONTIGUITY_API_KEY' | 'REQUEST_TIMEOUT_MS'>,
  o: { logger: Logger; onAttempt?: ImessageClientOptions['onAttempt'] },
): (ImessageClient & { close(): void }) | undefined {
  if (!config.CONTIGUITY_API_KEY) return undefined;
  return createImessageClient({
    baseUrl: config.CONTIGUITY_BASE_URL,
    apiKey: config.CONTIGUITY_API_KEY,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    logger: o.logger,
    onAttempt: o.onAttempt,
  });
}
