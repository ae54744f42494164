import type { Config } from '../config.ts';
import { sendRulesInForce } from '../compliance/in-force.ts';
import { windowOnlyRules } from '../compliance/window-only.ts';
import type { PlanOptions } from './plan.ts';
import type { ImessageClient } from '../provider/client.ts';
import { doctorLineProblems } from './line-problems.ts';

/**
 * The planner's options from the configuration, as the dispatcher composes
 * its own (dispatch/compose.ts): the same rules table (or none when legal
 * windows are off), the deployment's price table, and the doctor's line
 * check through the provider client.
 */
export function planOptionsFromConfig(
  config: Pick<Config, 'BLUECAST_LEGAL_WINDOWS' | 'BLUECAST_RULES_FILE' | 'BLUECAST_FREQUENCY_CAPS' | 'BLUECAST_PRICES'>,
  client?: Pick<ImessageClient, 'availability'>,
): PlanOptions {
  return {
    lineProblems: doctorLineProblems(client),
    // The same engine the dispatcher composes (dispatch/compose.ts), caps included.
    rules: config.BLUECAST_LEGAL_WINDOWS === 'on' ? sendRulesInForce(config) : windowOnlyRules(),
    prices: config.BLUECAST_PRICES,
  };
}
