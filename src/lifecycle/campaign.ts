import { defineMachine } from './machine.ts';

export const CampaignStatus = {
  draft: 'draft',
  scheduled: 'scheduled',
  running: 'running',
  paused: 'paused',
  completed: 'completed',
  cancelled: 'cancelled',
  blocked: 'blocked',
} as const;
export type CampaignStatusValue = (typeof CampaignStatus)[keyof typeof CampaignStatus];

/**
 * Keyed by target status: the statuses a campaign may be in to move there.
 * Everything that changes a campaign's status takes its allowed-from set here.
 */
export const campaignMachine = defineMachine<CampaignStatusValue>('campaign', Object.values(CampaignStatus), {
  // Unschedule: a scheduled one-off campaign of which no run exists yet
  // (moveUnstartedSchedule checks that in the same UPDATE).
  draft: ['scheduled'],
  // Scheduled on creation or later; a cron campaign returns here between runs; resume.
  scheduled: ['draft', 'running', 'paused', 'blocked'],
  // The dispatcher starts a run (a draft sends when started by hand); resume;
  // `retry-failed` reopens a completed one-off campaign that has work again.
  // `campaign resume` of a blocked one: the user fixed the account.
  running: ['draft', 'scheduled', 'paused', 'completed', 'blocked'],
  paused: ['scheduled', 'running'],
  completed: ['running', 'scheduled'],
  cancelled: ['draft', 'scheduled', 'running', 'paused', 'blocked'],
  // The provider refused the account (see classifyFailure's `account`) while it sent.
  blocked: ['scheduled', 'running'],
});

export const campaignTransitions = campaignMachine.transitions;

/** Campaigns whose messages may be claimed and whose runs may start. */
export const SENDING_CAMPAIGN_STATUSES = ['scheduled', 'running'] as const satisfies readonly CampaignStatusValue[];

export const RunStatus = { pending: 'pending', running: 'running', completed: 'completed', cancelled: 'cancelled' } as const;
export type RunStatusValue = (typeof RunStatus)[keyof typeof RunStatus];

/** A campaign run, keyed by target status like the others. */
export const runMachine = defineMachine<RunStatusValue>('run', Object.values(RunStatus), {
  pending: [],
  // Started by the dispatcher; reopened by `retry-failed` when it has work again.
  running: ['pending', 'running', 'completed'],
  completed: ['running'],
  cancelled: ['pending', 'running'],
});
