import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImessageClient } from '../../src/provider/client.ts';
import type { ReceivedRequest } from '../../src/simulator/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { offContract } from '../provider/openapi.ts';
import { seedCampaign, seedMessage, seedRecipient } from '../webhooks/helpers.ts';
import { openBrowser, SHOTS, signIn, stackApi, type Browser } from './browser.ts';
import { LINES, startStack, type Stack } from './stack.ts';

/**
 * The operator's inbox through a real browser on `bluecast serve`, walking
 * the "Done when" list on a desktop and on a phone: our campaign
 * message to a person is in the database (really sent, by the simulator), the
 * person answers (the simulator's signed reply webhook) → the thread is
 * unread, counted once → opening it sends a read receipt → typing sends
 * typing start → a quick reply is picked and sent through the dispatcher
 * (typing stopped, the simulator got the answer) → their answer to it,
 * arriving while the thread is open, is not counted unread → a tapback, shown
 * in the thread → marked opted out with a reason (a consent event in the
 * thread) → the box refuses and says why. What the provider got is what the
 * simulator received, each call checked against the provider's contract.
 */

const LINE = LINES[0]!;
const WALKS = [
  { name: 'desktop', viewport: { width: 1280, height: 860 }, person: '+14152019876', firstName: 'Ada', quick: 'Sale dates' },
  { name: 'phone', viewport: { width: 390, height: 844 }, person: '+14152019877', firstName: 'Grace', quick: 'Opening hours' },
] as const;

describe('inbox end to end', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      simulator: { imessageRatio: 1, replyRatio: 1, optOutRatio: 0, spamRatio: 0, readRatio: 0, smsFailureRate: 0, recordRequests: true },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** What the simulator received for this person, after the `from`th request. */
  const received = (person: string, from = 0): ReceivedRequest[] => stack.sim.received().slice(from).filter((r) => (r.body as { to?: string } | null)?.to === person);
  const calls = (person: string, p: string, from = 0) => received(person, from).filter((r) => r.path === p);

  /**
   * Our campaign's message to the person, as a finished run leaves it: the
   * campaign completed, its run completed, the message sent with the
   * simulator's id for the real send. Written before the send, with its sent
   * time: the reply the simulator answers with must find the message it
   * answers, and sort after it. (A campaign left "running" without its run
   * is one the scheduler starts: it sends the campaign again, the simulator
   * answers that too, and the thread rightly counts 2 unread.)
   */
  async function seedSentCampaignMessage(person: string, firstName: string, body: string) {
    const pool = stack.db.pool;
    const campaignId = await seedCampaign(pool, { name: `Spring sale ${firstName}`, status: 'completed', sender_lines: [LINE] });
    const run = await pool.query<{ id: number }>(
      `INSERT INTO campaign_runs (campaign_id, scheduled_for, status, enqueued, started_at, completed_at) VALUES ($1, now(), 'completed', 1, now(), now()) RETURNING id`,
      [campaignId],
    );
    const r = await seedRecipient(pool, campaignId, person, { first_name: firstName });
    const id = await seedMessage(pool, { campaignId, runId: run.rows[0]!.id, ...r, to: person, from: LINE, body, providerMessageId: null, sentAt: new Date() });
    const sim = createImessageClient({ baseUrl: stack.sim.url, apiKey: stack.sim.apiKey });
    const { message_id } = await sim.send({ to: person, from: LINE, message: body });
    await pool.query('UPDATE outbound_messages SET provider_message_id = $1 WHERE id = $2', [message_id, id]);
  }

  for (const walk of WALKS) {
    it(`${walk.name}: reply → unread (once) → open (read receipt) → type (typing start) → quick reply sent (typing stopped) → tapback shown → opted out → the box refuses`, async () => {
      const { person } = walk;
      // What the operator sees. On a desktop that is the window: the thread scrolls in its own box, kept at its end, and a
      // full-page capture lays the page out again with that box scrolled back to its top. A phone scrolls the page itself.
      const shot = (step: string) => page.screenshot({ path: path.join(SHOTS, `inbox-${walk.name}-${step}.png`), fullPage: walk.name === 'phone' });
      const browser: Browser = await openBrowser({ viewport: walk.viewport });
      const page: Page = browser.page;
      try {
        // No saved answers yet: the operator makes one from the thread (the other walk's are removed).
        for (const q of (await stackApi<{ quickReplies: { name: string }[] }>(stack, '/api/inbox/quick-replies')).quickReplies) {
          await stackApi(stack, `/api/inbox/quick-replies?name=${encodeURIComponent(q.name)}`, { method: 'DELETE', headers: { 'content-type': 'text/plain' } });
        }
        await seedSentCampaignMessage(person, walk.firstName, `Hi ${walk.firstName}, our spring sale starts today.`);
        // The person's one answer reached bluecast.
        await eventually(async () => (await stack.db.pool.query('SELECT count(*)::int AS n FROM inbound_messages WHERE from_phone = $1', [person])).rows[0].n === 1 || undefined, 20_000, 'the reply stored');

        await signIn(page, stack);
        // The header counts the one unread thread; the list marks it with its one reply.
        await page.locator('#inbox-link', { hasText: 'Inbox (1 unread)' }).waitFor({ timeout: 20_000 });
        await page.click('#inbox-link');
        const row = page.locator('.inbox-list li.thread.unread', { hasText: person });
        await row.waitFor();
        expect(await row.locator('.unread-pill').textContent()).toBe('1 unread');
        expect(await page.getByRole('tab', { name: 'Unread (1)' }).count()).toBe(1);
        await shot('1-unread');

        // Open: our campaign message, then their reply, then our read receipt, which the simulator got.
        await row.locator('a').click();
        await page.locator('.events li.event[data-kind=read_receipt]').waitFor();
        const kinds = await page.$$eval('.events li.event', (els) => els.map((e) => e.getAttribute('data-kind')));
        // The simulated person's words are drawn at random; "Not interested right now" is a reply flagged for a person (reply_possible_opt_out).
        expect(kinds.map((k) => (k === 'reply_possible_opt_out' ? 'reply' : k))).toEqual(['campaign', 'reply', 'read_receipt']);
        await eventually(() => calls(person, '/send/imessage/read').length === 1 || undefined, 10_000, 'the read receipt at the simulator');
        expect(calls(person, '/send/imessage/read')[0]).toMatchObject({ body: { to: person, from: LINE }, status: 200 });
        await page.locator('#inbox-link', { hasText: /^Inbox$/ }).waitFor({ timeout: 15_000 });
        await page.getByText('Read receipt sent.').waitFor();
        // The picker says there is nothing to pick, readable whole (not cut off).
        await page.locator('.quick-picker option', { hasText: 'No quick replies yet' }).waitFor({ state: 'attached' });
        const fits = await page.$eval('.quick-picker', (select: any) => {
          const g = globalThis as any; // in the page (the test's tsconfig has no DOM types)
          const ctx = g.document.createElement('canvas').getContext('2d');
          const cs = g.getComputedStyle(select);
          ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
          // The text, the select's padding and its arrow.
          return ctx.measureText(select.options[select.selectedIndex].text).width + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight) + 20 <= select.clientWidth;
        });
        expect(fits, 'the quick-reply picker shows its whole label').toBe(true);
        await shot('2-opened');

        // A saved answer, made from the thread's own panel: the picker offers it at once.
        if ((await page.locator('.quick-picker option', { hasText: walk.quick }).count()) === 0) {
          await page.click('.quick-panel summary');
          await page.fill('.quick-form input', walk.quick);
          await page.fill('.quick-form textarea', 'Hi {{first_name|there}}! The sale runs until Sunday, 9–5.');
          await page.click('.quick-form button[type=submit]');
          await page.getByText(`Saved “${walk.quick}”.`).waitFor();
        }
        await page.locator('.quick-picker option', { hasText: walk.quick }).waitFor({ state: 'attached' });

        // Typing starts with the first keystroke.
        const box = page.locator('.reply-box textarea');
        await box.pressSequentially('Hi');
        await eventually(() => calls(person, '/send/imessage/typing').some((c) => (c.body as { action?: string }).action === 'start') || undefined, 10_000, 'typing start at the simulator');
        await shot('3-typing');

        // The quick reply fills the box for this person; Send queues it through the dispatcher.
        await page.selectOption('.quick-picker', { label: walk.quick });
        const answer = `Hi ${walk.firstName}! The sale runs until Sunday, 9–5.`;
        expect(await box.inputValue()).toBe(answer);
        const beforeSend = stack.sim.received().length;
        await page.click('.reply-box button[type=submit]');
        await page.getByText('Sending your answer').waitFor();
        const mine = page.locator('.events li.event.out[data-kind=operator_reply]');
        await mine.waitFor();
        // Never "queued" (it reads as stuck): on its way, then what the provider made of it.
        expect(await mine.locator('.who').textContent()).toMatch(/ · (sending…|sent)$/);
        await shot('4-sending');
        await mine.locator('.who', { hasText: / · sent$/ }).waitFor({ timeout: 30_000 });
        await page.locator('.notice', { hasText: 'Answer sent.' }).waitFor();
        expect(await mine.locator('.bubble').textContent()).toBe(answer);
        // Delivered to the provider per the simulator; typing stopped with the send.
        await eventually(() => stack.sim.sent().some((m) => m.to === person && m.body === answer) || undefined, 10_000, 'the answer at the simulator');
        expect(calls(person, '/send/imessage', beforeSend).map((c) => c.body)).toEqual([expect.objectContaining({ to: person, from: LINE, message: answer })]);
        const typing = calls(person, '/send/imessage/typing').map((c) => (c.body as { action?: string }).action);
        expect(typing.at(-1)).toBe('stop');
        expect(calls(person, '/send/imessage/typing', beforeSend).map((c) => (c.body as { action?: string }).action)).toContain('stop');

        // The simulator's person answers our answer while the thread is open: shown, read, not counted unread.
        await page.locator('.events li.event.in').nth(1).waitFor({ timeout: 20_000 });
        await eventually(() => calls(person, '/send/imessage/read').length === 2 || undefined, 10_000, 'a read receipt for the new reply');
        await page.locator('.events li.event[data-kind=read_receipt]').nth(1).waitFor();
        await page.locator('#inbox-link', { hasText: /^Inbox$/ }).waitFor({ timeout: 15_000 });
        if (walk.name === 'desktop') expect(await page.locator('.inbox-list li.thread', { hasText: person }).locator('.unread-pill').count()).toBe(0);
        await shot('5-sent');

        // A tapback on their first reply: the simulator matched it to that message, and the thread shows it.
        const theirs = page.locator('.events li.event.in').first();
        const theirText = (await theirs.locator('.bubble').textContent())!;
        const beforeTap = stack.sim.received().length;
        await theirs.locator('button[data-tapback=like]').click();
        await page.getByText('Tapback “like” sent.').waitFor();
        const taps = calls(person, '/send/imessage/reactions', beforeTap);
        expect(taps).toEqual([expect.objectContaining({ body: { to: person, from: LINE, action: 'add', tapback: 'like', message: theirText }, status: 200 })]);
        const tapped = page.locator('.events li.event[data-kind=tapback]');
        await tapped.waitFor();
        expect(await tapped.textContent()).toContain(`You liked “${theirText}”`);
        await shot('6-tapback');

        // Every call the inbox made for this person, as the simulator received it, is on the provider's contract.
        const all = received(person).filter((r) => r.path !== '/send/imessage' || (r.body as { message?: string }).message === answer);
        expect(new Set(all.map((r) => r.path))).toEqual(new Set(['/send/imessage/read', '/send/imessage/typing', '/send/imessage', '/send/imessage/reactions']));
        for (const r of all) expect(offContract(r)).toEqual([]);

        // Opted out by the operator, with a reason: a consent event in the thread; the box refuses and says why.
        await page.fill('.consent-form input', 'asked by phone not to be contacted');
        await page.click('.consent-form button[type=submit]');
        await page.locator('.events li.event.consent', { hasText: 'Opted out by an operator — asked by phone not to be contacted' }).waitFor();
        await page.locator('.refuse', { hasText: 'This person opted out: nothing can be sent to them' }).waitFor();
        expect(await box.isDisabled()).toBe(true);
        expect(await page.locator('.reply-box button[type=submit]').isDisabled()).toBe(true);
        expect(await page.locator('.events button[data-tapback]').count()).toBe(0);
        const beforeOptOut = stack.sim.received().length;
        await shot('7-opted-out');
        // The refusal holds on a fresh load, and the list says so.
        await page.reload();
        await page.locator('.refuse', { hasText: 'This person opted out' }).waitFor();
        if (walk.name === 'phone') {
          expect(await page.locator('.inbox-threads').isVisible()).toBe(false);
          await page.click('.thread-head .back');
        }
        await page.getByRole('tab', { name: /All open/ }).click();
        await page.locator('.inbox-list li.thread', { hasText: person }).locator('.optout-pill').waitFor();
        await shot('8-list');
        // The API refuses too, and nothing more reached the provider for this person.
        await expect(stackApi(stack, '/api/inbox/thread/reply', { method: 'POST', body: JSON.stringify({ phone: person, line: LINE, body: 'one more thing' }) })).rejects.toThrow(/HTTP 409.*opted out/);
        expect(received(person, beforeOptOut)).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 240_000);
  }
});
