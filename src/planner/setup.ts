import type { Config } from '../config.ts';
import { SendRules } from '../compliance/engine.ts';
import { loadRulesTable } from '../compliance/table.ts';
import { NO_LEGAL_RULES } from './groups.ts';
import type { PlanOptions } from './plan.ts';

/**
 * The planner's options from the configuration, as the dispatcher composes
 * its own (dispatch/compose.ts): the same rules table (or none when legal
 * windows are off) and the deployment's price table.
 */
export function planOptionsFromConfig(config: Pick<Config, 'BLUECAST_LEGAL_WINDOWS' | 'BLUECAST_RULES_FILE' | 'BLUECAST_PRICES'>): PlanOptions {
  return {
    rules: new SendRules(config.BLUECAST_LEGAL_WINDOWS === 'on' ? loadRulesTable(config.BLUECAST_RULES_FILE) : NO_LEGAL_RULES),
    prices: config.BLUECAST_PRICES,
  };
}
