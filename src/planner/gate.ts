import type { LaunchGate } from '../campaigns/schedule.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { buildPlan, type PlanOptions } from './plan.ts';

/**
 * The scheduling gate: the plan's "block" checks as of the send time, from
 * the same buildPlan the confirmation shows (so what the operator reads as
 * "blocks launch" is what refuses it). `opts`: the deployment's, as for the
 * plan route (planOptionsFromConfig).
 */
export function launchGate(db: Queryable, opts: PlanOptions = {}): LaunchGate {
  return async (campaignId, at) => {
    const plan = await buildPlan(db, campaignId, at, opts);
    return (plan?.checks ?? []).filter((c) => c.level === 'block').map(({ id, message, fix }) => ({ id, message, fix }));
  };
}
