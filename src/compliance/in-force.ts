import type { Config } from '../config.ts';
import { SendRules } from './engine.ts';
import type { RulesTable } from './schema.ts';
import { loadRulesTable } from './table.ts';

export type RulesConfig = Pick<Config, 'BLUECAST_RULES_FILE' | 'BLUECAST_FREQUENCY_CAPS'>;

/**
 * The rules in force for a deployment: the shipped table, its
 * BLUECAST_RULES_FILE override, and BLUECAST_FREQUENCY_CAPS added to its
 * deployment caps. The one way the dispatcher, the planner and `bluecast
 * rules` get their rules, so they never disagree.
 */
export function rulesTableInForce(config: RulesConfig): RulesTable {
  const table = loadRulesTable(config.BLUECAST_RULES_FILE);
  const extra = (config.BLUECAST_FREQUENCY_CAPS ?? []).map((c) => ({
    ...c,
    kind: 'cap' as const,
    source: { citation: 'deployment policy (BLUECAST_FREQUENCY_CAPS)' },
  }));
  if (extra.length === 0) return table;
  return { ...table, deployment: { caps: [...table.deployment.caps, ...extra] } };
}

/** The rule engine over the rules in force (see rulesTableInForce). */
export function sendRulesInForce(config: RulesConfig): SendRules {
  return new SendRules(rulesTableInForce(config));
}
