import type { Config } from '../config.ts';
import { SendRules } from '../compliance/engine.ts';
import { loadRulesTable } from '../compliance/table.ts';
import { NO_LEGAL_RULES } from './groups.ts';
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
  config: Pick<Config, 'BLUECAST_LEGAL_WINDOWS' | 'BLUECAST_RULES_FILE' | 'BLUECAST_PRICES'>,
  client?: Pick<ImessageClient, 'availability'>,
): PlanOptions {
  return {
    lineProblems: doctorLineProblems(client),
    rules: new SendRules(config.BLUECAST_LEGAL_WINDOWS === 'on' ? loadRulesTable(config.BLUECAST_RULES_FILE) : NO_LEGAL_RULES),
    prices: config.BLUECAST_PRICES,
  };
}
