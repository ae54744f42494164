import type { Config } from '../config.ts';
import { sendRulesInForce } from '../compliance/in-force.ts';
import { windowOnlyRules } from '../compliance/window-only.ts';
import type { PlanOptions } from './plan.ts';
import type { ImessageClient } from '../provider/client.ts';
import { doctorLineProblems } from './line-problems.ts';
import type pg from 'pg';
import { createSharedPacer } from '../dispatch/pacing.ts';
import type { AvailabilityCheckOptions } from './availability.ts';

/**
 * The planner's options from the configuration, as the dispatcher composes
 * its own (dispatch/compose.ts): the same rules table (or none when legal
 * windows are off), the deployment's price table, and the doctor's line
 * check through the provider client.
 */
export function planOptionsFromConfig(
  config: Pick<Config, 'BLUECAST_LEGAL_WINDOWS' | 'BLUECAST_RULES_FILE' | 'BLUECAST_FREQUENCY_CAPS' | 'BLUECAST_PRICES'> & Partial<Pick<Config, 'BLUECAST_AVAILABILITY_MAX_AGE_HOURS'>>,
  client?: Pick<ImessageClient, 'availability'>,
): PlanOptions {
  return {
    lineProblems: doctorLineProblems(client),
    // The same engine the dispatcher composes (dispatch/compose.ts), caps included.
    rules: config.BLUECAST_LEGAL_WINDOWS === 'on' ? sendRulesInForce(config) : windowOnlyRules(),
    prices: config.BLUECAST_PRICES,
    availabilityMaxAgeHours: config.BLUECAST_AVAILABILITY_MAX_AGE_HOURS,
  };
}

/**
 * The availability check's pacing and cache age from the configuration: the
 * shared pacer (one bucket for every process on the database) at
 * BLUECAST_AVAILABILITY_RATE, answers kept BLUECAST_AVAILABILITY_MAX_AGE_HOURS.
 */
export function availabilityOptionsFromConfig(
  config: Pick<Config, 'BLUECAST_AVAILABILITY_RATE' | 'BLUECAST_AVAILABILITY_MAX_AGE_HOURS'>,
  pool: pg.Pool,
): Pick<AvailabilityCheckOptions, 'pacer' | 'ratePerSecond' | 'maxAgeHours'> {
  return { pacer: createSharedPacer(pool), ratePerSecond: config.BLUECAST_AVAILABILITY_RATE, maxAgeHours: config.BLUECAST_AVAILABILITY_MAX_AGE_HOURS };
}
