import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImessageClient } from '../../src/provider/client.ts';
import { eventually } from '../helpers/eventually.ts';
import { startRecordingProxy } from '../webhooks/sim.ts';
import { LINES, startStack, TOKEN, type Stack } from './stack.ts';

/**
 * The operator's inbox through a real browser on `bluecast serve`: a person
 * answers (the simulator's reply webhook), the thread shows unread, opening it
 * sends a read receipt, typing sends typing start, sending queues the answer
 * (delivered by the care workers, typing stopped), a tapback goes out, and
 * after "Mark opted out" the box refuses and says why. What the provider got
 * is read from a recording proxy between bluecast and the simulator.
 */

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve('test-results');
const PERSON = '+14152019876';
const LINE = LINES[0]!;

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

describe('inbox end to end', () => {
  let stack: Stack;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let context: BrowserContext;
  let profile: string;
  const errors: Error[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    await mkdir(SHOTS, { recursive: true });
    proxy = await startRecordingProxy();
    stack = await startStack({ providerProxy: proxy, simulator: { imessageRatio: 1, replyRatio: 1, optOutRatio: 0, spamRatio: 0, readRatio: 0, smsFailureRate: 0 } });
    profile = await mkdtemp(path.join(tmpdir(), 'bluecast-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 800 },
    });
  });

  afterAll(async () => {
    await context?.close();
    await stack?.stop();
    await proxy?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  const providerCalls = (path: string) => proxy.calls.filter((c) => c.path === path && c.body?.to === PERSON);

  async function signIn(page: Page) {
    await page.goto(stack.url);
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
  }

  it('reply → unread → open (read receipt) → type (typing) → send (accepted by the provider, typing stopped) → tapback → opted out refuses', async () => {
    // A message to the person, sent straight at the simulator; the simulator answers by a signed reply webhook.
    const sim = createImessageClient({ baseUrl: stack.sim.url, apiKey: stack.sim.apiKey });
    await sim.send({ to: PERSON, from: LINE, message: 'Our spring sale starts today.' });

    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e));
    await signIn(page);

    // The header counts the unread thread.
    await page.locator('#inbox-link', { hasText: 'Inbox (1 unread)' }).waitFor({ timeout: 20_000 });
    await page.click('#inbox-link');
    const row = page.locator('.inbox-list li.thread.unread', { hasText: PERSON });
    await row.waitFor();
    await expect(row.locator('.unread-pill').textContent()).resolves.toBe('1 unread');
    await page.screenshot({ path: path.join(SHOTS, 'inbox-desktop-list.png'), fullPage: true });

    // Open: the reply shows after our message, and a read receipt reaches the provider.
    await row.locator('a').click();
    await page.locator('.events li.event.in').first().waitFor();
    const kinds = await page.$$eval('.events li.event', (els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(['reply']);
    await eventually(async () => providerCalls('/send/imessage/read').length === 1 || undefined, 10_000, 'the read receipt');
    await page.locator('#inbox-link', { hasText: /^Inbox$/ }).waitFor({ timeout: 15_000 });

    // Typing starts with the first keystroke…
    await page.locator('.reply-box textarea').pressSequentially('Hi! The sale runs until Sunday.');
    await eventually(async () => providerCalls('/send/imessage/typing').some((c) => c.body?.action === 'start') || undefined, 10_000, 'typing start');
    await page.screenshot({ path: path.join(SHOTS, 'inbox-desktop-typing.png'), fullPage: true });
    // …and stops with the send; the answer is delivered through the care send path.
    await page.click('.reply-box button[type=submit]');
    await page.getByText('Answer queued').waitFor();
    await eventually(async () => proxy.calls.some((c) => c.path === '/send/imessage' && c.body?.message === 'Hi! The sale runs until Sunday.') || undefined, 20_000, 'the answer sent');
    expect(providerCalls('/send/imessage/typing').map((c) => c.body?.action)).toEqual(['start', 'stop']);
    const you = page.locator('.events li.event.out[data-kind=operator_reply]');
    await you.waitFor({ timeout: 15_000 });
    await expect(you.locator('.bubble').textContent()).resolves.toBe('Hi! The sale runs until Sunday.');
    // Delivered to the provider: the simulator accepted it (it sends no delivery webhook for iMessage) and the row carries its id.
    expect(stack.sim.sent().filter((m) => m.to === PERSON).map((m) => m.body)).toEqual(['Our spring sale starts today.', 'Hi! The sale runs until Sunday.']);
    const { rows } = await stack.db.pool.query(`SELECT status::text AS status, provider_message_id FROM outbound_messages WHERE kind = 'operator_reply' AND to_phone = $1`, [PERSON]);
    expect(rows).toEqual([{ status: 'sent', provider_message_id: expect.stringMatching(/^imsg_/) }]);

    // A tapback on the person's message.
    const theirs = page.locator('.events li.event.in').first();
    const theirText = await theirs.locator('.bubble').textContent();
    await theirs.locator('button[data-tapback=like]').click();
    await page.getByText('Tapback “like” sent.').waitFor();
    const taps = providerCalls('/send/imessage/reactions');
    expect(taps.map((c) => [c.body?.tapback, c.body?.message])).toEqual([['like', theirText]]);
    await page.screenshot({ path: path.join(SHOTS, 'inbox-desktop-thread.png'), fullPage: true });

    // Opted out by the operator, with a reason: the box refuses and says why; nothing more reaches the provider.
    await page.fill('.consent-form input', 'asked by phone not to be contacted');
    await page.click('.consent-form button[type=submit]');
    await page.locator('.refuse', { hasText: 'This person opted out' }).waitFor();
    expect(await page.locator('.reply-box textarea').isDisabled()).toBe(true);
    expect(await page.locator('.reply-box button[type=submit]').isDisabled()).toBe(true);
    await page.locator('.events li.event.consent', { hasText: 'Opted out' }).waitFor();
    const before = proxy.calls.length;
    await page.screenshot({ path: path.join(SHOTS, 'inbox-desktop-opted-out.png'), fullPage: true });

    // The same thread on a phone: one column, the list behind "All threads".
    await page.setViewportSize({ width: VIEWPORTS[1].width, height: VIEWPORTS[1].height });
    await page.reload();
    await page.locator('.refuse', { hasText: 'This person opted out' }).waitFor();
    expect(await page.locator('.inbox-threads').isVisible()).toBe(false);
    await page.screenshot({ path: path.join(SHOTS, 'inbox-phone-thread.png'), fullPage: true });
    await page.click('.thread-head .back');
    await page.getByRole('tab', { name: /All open/ }).click();
    await page.locator('.inbox-list li.thread', { hasText: PERSON }).locator('.optout-pill').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'inbox-phone-list.png'), fullPage: true });
    expect(proxy.calls.slice(before).filter((c) => c.body?.to === PERSON && c.path !== '/send/imessage/read')).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
