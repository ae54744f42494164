/** One pre-launch check that found something: "block" stops a launch, "warn" asks for a look. */
export interface PlanCheck {
  id: 'opt-out-missing' | 'first-touch-link' | 'first-touch-media' | 'unknown-zone' | 'identical-bodies' | 'past-deadline' | 'recent-contact' | 'lines' | 'no-sms-fallback';
  level: 'block' | 'warn';
  message: string;
  fix: string;
}

/** What the checks look at, gathered by the plan (plan.ts). */
export interface CheckFacts {
  message: string;
  variants: string[];
  attachments: string[];
  /** Recipients with no sticky line: the message is their first from us. */
  newContacts: number;
  total: number;
  unknownZone: number;
  campaignZone: string;
  finish: string | null;
  unscheduled: number;
  sendBy?: Date | null;
  recentContacts: number;
  recentHours: number;
  /** Problems with the campaign's lines; #14's `bluecast doctor` is to fill it (see lineProblems in plan.ts). */
  lineProblems: string[];
  /** Recipients the provider says have no iMessage, on a campaign without an SMS fallback for them. */
  noFallback?: number;
}

const OPT_OUT = /\b(stop|unsubscribe|opt[ -]?out|cancel|end|quit)\b/i;
const LINK = /\bhttps?:\/\/|\bwww\.|\b[a-z0-9-]+\.(com|net|org|io|co|ly|me|app|link)\b/i;
const VARIABLE = /\{\{[^}]*\}\}/;
const SPINTAX = /\{[^{}|]*\|[^{}]*\}/;

/** The checks, in a fixed order, only those that found something. */
export function runChecks(f: CheckFacts): PlanCheck[] {
  const out: PlanCheck[] = [];
  const bodies = [f.message, ...f.variants];
  if (f.newContacts > 0 && !bodies.every((b) => OPT_OUT.test(b))) {
    out.push({
      id: 'opt-out-missing',
      level: 'block',
      message: `${f.newContacts} recipient(s) hear from us for the first time, and the message${f.variants.length ? ' (or one of its variants)' : ''} says nothing of how to opt out`,
      fix: 'add an instruction such as "Reply STOP to opt out" to the message and every variant',
    });
  }
  if (f.newContacts > 0 && bodies.some((b) => LINK.test(b))) {
    out.push({
      id: 'first-touch-link',
      level: 'warn',
      message: 'a first message to new contacts carries a link: carriers filter such messages more, and iMessage shows no preview from unknown senders',
      fix: 'send the link in a follow-up once the person has replied, or remove it',
    });
  }
  if (f.newContacts > 0 && f.attachments.length > 0) {
    out.push({
      id: 'first-touch-media',
      level: 'warn',
      message: `a first message to new contacts carries ${f.attachments.length} attachment(s)`,
      fix: 'send media after a first text-only message, or remove the attachments',
    });
  }
  if (f.unknownZone > 0) {
    out.push({
      id: 'unknown-zone',
      level: 'warn',
      message: `${f.unknownZone} recipient(s) have no time zone in the CSV and a number that does not place them: they are sent in the campaign's zone (${f.campaignZone})`,
      fix: 'add a timezone (or state / ZIP) column for them to the CSV',
    });
  }
  if (f.total > 1 && f.variants.length === 0 && !VARIABLE.test(f.message) && !SPINTAX.test(f.message)) {
    out.push({
      id: 'identical-bodies',
      level: 'warn',
      message: `all ${f.total} recipients get the very same text: carriers and Apple flag identical bulk messages`,
      fix: 'personalise the message ({{first_name|there}}), add variants or {Hi|Hello} alternatives',
    });
  }
  if (f.sendBy && (f.unscheduled > 0 || (f.finish !== null && Date.parse(f.finish) > f.sendBy.getTime()))) {
    out.push({
      id: 'past-deadline',
      level: 'block',
      message: `the forecast finish (${f.finish ?? 'not within the horizon'}) is past the campaign's deadline ${f.sendBy.toISOString()}`,
      fix: 'add sender lines, raise the new-contact caps within the lines\' limits, widen the window, or move the deadline',
    });
  }
  if (f.recentContacts > 0) {
    out.push({
      id: 'recent-contact',
      level: 'warn',
      message: `${f.recentContacts} recipient(s) were messaged in the last ${f.recentHours} hours`,
      fix: 'leave them out of this campaign, or set recent_contact_hours so the dispatcher holds them back',
    });
  }
  if ((f.noFallback ?? 0) > 0) {
    out.push({
      id: 'no-sms-fallback',
      level: 'warn',
      message: `${f.noFallback} recipient(s) cannot receive iMessages (availability check) and the campaign has no SMS fallback for them: their sends will be refused`,
      fix: 'set fallback.when to include "imessage_unsupported" (and a fallback line), or leave them out',
    });
  }
  for (const p of f.lineProblems) {
    out.push({ id: 'lines', level: 'block', message: p, fix: 'lease the line (or remove it from the campaign) and run `bluecast doctor`' });
  }
  return out;
}
