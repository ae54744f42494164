import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/reports/schema.ts';
import { runCli } from '../helpers/cli.ts';
import { truthFromMessages } from '../reports/seed.ts';
import { stackApi as api, openBrowser, pageMetrics, settle, SHOTS, tableRows, type Browser } from './browser.ts';
import { LINES, startStack, TOKEN, type Stack } from './stack.ts';

/**
 * The whole job as a first-time operator does it, at a desktop and at a phone
 * size: create (with mistakes first) → edit the draft → upload a CSV with bad
 * rows → see and download the rejections → schedule in the campaign's zone
 * (Chicago; the browser is in Tokyo) and check the stored UTC time → confirm →
 * watch why messages wait → pause and resume → retry the failed ones → export
 * → look a recipient up → archive it out of the list. The report's numbers
 * are checked on the page against the JSON API, the CLI and the messages
 * themselves, for a campaign with failures and for a cancelled one.
 */

const ZONE = 'America/Chicago';

/** 8 good rows (written as people write numbers), one invalid, one duplicate; `b` keeps each walk's people apart (opt-outs are for life). */
const csvFor = (b: number) =>
  [
    'phone,first_name',
    `(415) 201-${b + 1},Ada`,
    `+1415201${b + 2},Grace`,
    `415.201.${b + 3},Linus`,
    `+1415201${b + 4},Margaret`,
    `+1415201${b + 5},Alan`,
    `+1415201${b + 6},Barbara`,
    `+1415201${b + 7},Edsger`,
    `+1415201${b + 8},Frances`,
    'not-a-number,Bob',
    `+1415201${b + 2},Grace again`,
  ].join('\r\n');

/** "2026-12-02T09:41" in `zone` for the instant `d` (what an operator there types). */
function localInput(d: Date, zone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** The page, the JSON API, the CLI and the messages agree on every figure of the report. */
async function expectReportsAgree(page: Page, stack: Stack, campaignId: number, name: string): Promise<Report> {
  await page.reload();
  const fromApi = await api<Report>(stack, `/api/campaigns/${campaignId}/report`);
  await page.locator(`[data-metric="totals.messages"][data-value="${fromApi.totals.messages}"]`).first().waitFor();
  const shown = await pageMetrics(page, (k) => k.startsWith('import.') || k === 'waiting.unsent');
  const cli = await runCli(['report', name, '--json'], { env: stack.env });
  expect(cli.code, cli.stderr).toBe(0);
  expect({ ...(JSON.parse(cli.stdout) as Report), generatedAt: '' }).toEqual({ ...fromApi, generatedAt: '' });
  for (const [status, n] of Object.entries(fromApi.byStatus)) expect(shown.get(`byStatus.${status}`), status).toBe(String(n));
  for (const k of ['messages', 'sent', 'read', 'failed', 'unconfirmed', 'replies', 'optOuts'] as const) expect(shown.get(`totals.${k}`), k).toBe(String(fromApi.totals[k]));
  for (const [k, v] of Object.entries(fromApi.rates)) expect(shown.get(`rates.${k}`), k).toBe(v === null ? '' : String(v));
  const truth = await truthFromMessages(stack.db.pool, campaignId);
  expect(Object.fromEntries(Object.entries(fromApi.byStatus).filter(([, n]) => n > 0))).toEqual(truth.byStatus);
  expect(fromApi.totals).toMatchObject({ messages: truth.totals.messages, sent: truth.totals.sent, delivered: truth.totals.delivered, read: truth.totals.read });
  return fromApi;
}

describe('an operator walks the whole job', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // Numbers without iMessage fail (no SMS fallback in this campaign): a run with failures to retry.
    stack = await startStack({ simulator: { imessageRatio: 0.6, smsFailureRate: 1 } });
    browser = await openBrowser();
    page = browser.page;
    await page.goto(stack.url);
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  for (const size of [
    { label: 'desktop', width: 1280, height: 900, base: 3000 },
    { label: 'phone', width: 390, height: 844, base: 5000 },
  ]) {
    it(`create → upload → schedule in Chicago → watch → pause/resume → retry → export → look up → archive (${size.label})`, async () => {
      const NAME = `walk-${size.label}`;
      const shot = (what: string) => page.screenshot({ path: path.join(SHOTS, `walk-${size.label}-${what}.png`), fullPage: true });
      const fitsScreen = async () => expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(size.width);
      await page.setViewportSize({ width: size.width, height: size.height });

      // Create, with three mistakes first: all three said at once, next to their fields, in the page's words.
      await page.goto(`${stack.url}/#/new`);
      await page.fill('#new-campaign input[name=name]', `${NAME} with spaces`);
      await page.fill('#new-campaign textarea[name=message]', 'Hi {{first_name|there}}, our sale starts today. Reply STOP to opt out.');
      await page.fill('#new-campaign input[name=from]', `${LINES[0]}, 415-12`);
      await page.fill('#new-campaign input[name=window]', '9 to 5');
      await page.click('#new-campaign button[type=submit]');
      const err = (f: string) => page.locator(`#new-campaign [data-error-for=${f}]`);
      await err('name').getByText(/no spaces/).waitFor();
      expect(await err('from').textContent()).toBe('“415-12” is not a phone number in international form: start with + and the country code, e.g. +14155552671.');
      expect(await err('window').textContent()).toContain('“9 to 5” is not a window');
      expect(await page.evaluate<string | null>(`document.activeElement && document.activeElement.getAttribute('name')`)).toBe('name');
      expect(await page.locator('#new-campaign [aria-invalid=true]').count()).toBe(3);
      expect(await page.locator('main').textContent()).not.toMatch(/from\[|--[a-z]/);
      await fitsScreen();
      await shot('1-form-errors');
      // A number the server refuses (not a real line) comes back on the same field, in words.
      await page.fill('#new-campaign input[name=name]', NAME);
      await page.fill('#new-campaign input[name=from]', '+19995550100');
      await page.fill('#new-campaign input[name=window]', 'any');
      await page.fill('#new-campaign input[name=timezone]', ZONE);
      await page.click('#new-campaign button[type=submit]');
      await err('from').getByText('“+19995550100” is not a valid phone number: check the country code and the digits (e.g. +14155552671).').waitFor();
      expect(await err('name').textContent()).toBe('');
      await page.fill('#new-campaign input[name=from]', LINES.join(', '));
      await page.click('#new-campaign button[type=submit]');
      await page.waitForURL(/#\/campaigns\/\d+$/);
      const campaignId = Number(/#\/campaigns\/(\d+)$/.exec(page.url())![1]);
      await page.locator(`h1[data-campaign-name="${NAME}"]`).waitFor();

      // A draft: the next step, no empty report, no buttons with nothing to do.
      await page.getByText('Next step: upload a recipients CSV.').waitFor();
      expect(await page.locator('[data-section=report]').isHidden()).toBe(true);
      expect(await page.locator('[data-action=retry-failed], [data-action=export]').count()).toBe(0);
      expect(await page.getByText(/0 recipients loaded/).count()).toBe(1);

      // Edit the draft's message on its page.
      await page.click('[data-action=edit]');
      await page.fill('#edit-campaign textarea[name=message]', 'Hi {{first_name|there}}, the spring sale starts today. Reply STOP to opt out.');
      await page.click('#edit-campaign button[type=submit]');
      await page.getByText('Saved: the draft has the new definition.').waitFor();
      await page.locator('[data-def=message]', { hasText: 'the spring sale' }).waitFor();
      // Slow pacing (no page field for it: the API), so that the send can be watched and paused.
      const stored = await api<{ definition: Record<string, unknown> }>(stack, `/api/campaigns/${campaignId}`);
      const { csv: _csv, ...definition } = stored.definition;
      await api(stack, `/api/campaigns/${campaignId}`, { method: 'PUT', body: JSON.stringify({ ...definition, ratePerLine: 0.2, burst: 1 }) });

      // Upload with bad rows; the rejections are listed and download with the duplicate.
      await page.setInputFiles('#upload-form input[type=file]', { name: 'walk.csv', mimeType: 'text/csv', buffer: Buffer.from(csvFor(size.base)) });
      await page.click('#upload-form button[type=submit]');
      await page.getByText('walk.csv: 8 recipients imported, 2 rows left out.').waitFor();
      expect((await tableRows(page, 'rejected')).map((r) => r[0])).toEqual(['10']);
      await page.locator('[data-recipients-loaded="8"]').waitFor();
      await fitsScreen();
      await shot('2-uploaded');
      const [rej] = await Promise.all([page.waitForEvent('download'), page.locator('[data-section=imports] [data-action=download-rejections]').click()]);
      const rejected = parse(await readFile((await rej.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
      expect(rejected.map((r) => [r.line, r.kind])).toEqual([['10', 'invalid'], ['11', 'duplicate']]);

      // Schedule for this minute in Chicago (typed as a Chicago wall clock in a Tokyo browser).
      while (new Date().getUTCSeconds() > 40) await new Promise((r) => setTimeout(r, 1_000));
      const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      await page.fill('#schedule-form input[name=local]', localInput(minute, ZONE));
      await page.click('#schedule-form button[type=submit]');
      const summary = page.locator('[data-confirm=summary]');
      await summary.waitFor();
      expect(await summary.textContent()).toMatch(new RegExp(`^Send to 8 people from 2 lines, first message ~.* ${ZONE}`));
      await shot('3-confirm');
      await page.click('[data-action=confirm-schedule]');
      const dbRow = async () => (await stack.db.pool.query('SELECT status::text, schedule_at FROM campaigns WHERE id = $1', [campaignId])).rows[0];
      // The page's notice; the schedule card says it too once it is rebuilt.
      await page.locator('p.notice.ok', { hasText: /^Scheduled for / }).waitFor();
      expect((await dbRow()).schedule_at.toISOString()).toBe(minute.toISOString());

      // Watch: why messages wait, while they go out one every 5 s per line.
      const panel = page.locator('[data-section=waiting]');
      await panel.locator('[data-waiting]').first().waitFor({ timeout: 60_000 });
      await page.locator('h1 + p [data-status="running"]').waitFor();
      await fitsScreen();
      await shot('4-watching');

      // Pause: every unsent message waits for Resume, and says so.
      await page.click('[data-action=pause]');
      await page.locator('h1 + p [data-status="paused"]').waitFor();
      await panel.locator('[data-waiting="paused"]').waitFor();
      expect(await panel.textContent()).toMatch(/Paused: \d+ messages? wait for Resume\./);
      await shot('5-paused');
      await page.click('[data-action=resume]');
      await page.locator('h1 + p [data-status="running"], h1 + p [data-status="completed"]').first().waitFor();

      // Let it finish, then retry the failed ones from the page.
      await settle(stack, campaignId, 8);
      const done = await expectReportsAgree(page, stack, campaignId, NAME);
      expect(done.totals.failed).toBeGreaterThan(0);
      await fitsScreen();
      await shot('6-report');
      await page.click('[data-action=retry-failed]');
      await page.getByText(`Re-queued ${done.totals.failed} message${done.totals.failed === 1 ? '' : 's'}.`).waitFor();
      await settle(stack, campaignId, 8);
      const after = await expectReportsAgree(page, stack, campaignId, NAME);
      expect(after.totals.messages).toBe(8);

      // Export: one row per recipient, the statuses of the messages.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=export]')]);
      const rows = parse(await readFile((await download.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(8);
      expect(rows.map((r) => r.phone).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `+1415201${size.base + i + 1}`));

      // Look one person up, typed the way the CSV had it.
      await page.fill('#lookup-form input[name=phone]', 'not a phone');
      await page.click('#lookup-form button[type=submit]');
      await page.locator('#lookup-form [data-error-for=phone]').getByText(/not a phone number/).waitFor();
      await page.fill('#lookup-form input[name=phone]', `(415) 201-${size.base + 1}`);
      await page.click('#lookup-form button[type=submit]');
      await page.locator('[data-lookup=phone]', { hasText: `+1415201${size.base + 1}` }).waitFor();
      const events = await page.$$eval('table[data-table=lookup] [data-event]', (els) => els.map((e) => e.getAttribute('data-event')));
      expect(events).toContain('queued');
      expect(events).toContain('imported');
      const stepsInDb = (await stack.db.pool.query(`SELECT count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent FROM outbound_messages WHERE campaign_id = $1 AND to_phone = $2`, [campaignId, `+1415201${size.base + 1}`])).rows[0].sent as number;
      expect(events.filter((e) => e === 'sent')).toHaveLength(stepsInDb);
      await page.locator('[data-section=lookup]').scrollIntoViewIfNeeded();
      await fitsScreen();
      await shot('7-lookup');

      // Archive: out of the list until "Show archived" is ticked.
      await page.click('[data-action=archive]');
      await page.locator('[data-section=manage] [data-archived]').waitFor();
      await page.goto(`${stack.url}/#/`);
      await page.locator('table[data-table=campaigns]').waitFor();
      await page.locator('[data-section=list-count]').getByText(/campaign/).waitFor();
      expect(await page.locator(`a[data-campaign="${NAME}"]`).count()).toBe(0);
      await page.check('#list-archived');
      await page.locator(`a[data-campaign="${NAME}"]`).waitFor();
      await page.fill('#list-q', size.label);
      expect(await page.locator('table[data-table=campaigns] tbody tr').count()).toBe(1);
      await fitsScreen();
      await shot('8-list');
      await page.uncheck('#list-archived');
      await page.fill('#list-q', '');
    });
  }

  it('a cancelled campaign: page, API, CLI and database agree (cancelled messages never count as sent)', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    const created = await api<{ id: number }>(stack, '/api/campaigns', { method: 'POST', body: JSON.stringify({ name: 'walk-cancelled', message: 'Later. Reply STOP to opt out.', window: 'any', ratePerLine: 0.01, burst: 1, from: LINES }) });
    await stack.db.pool.query(`INSERT INTO campaign_recipients (campaign_id, phone) SELECT $1, '+1415201' || lpad(g::text, 4, '0') FROM generate_series(4001, 4006) g`, [created.id]);
    await api(stack, `/api/campaigns/${created.id}/schedule`, { method: 'POST', body: JSON.stringify({ now: true }) });
    await page.goto(`${stack.url}/#/campaigns/${created.id}`);
    // One message per line goes (the burst), the others wait for the pace: then cancel.
    await page.locator('[data-section=waiting] [data-waiting]').first().waitFor({ timeout: 60_000 });
    await page.click('[data-action=cancel]');
    await page.locator('h1 + p [data-status="cancelled"]').waitFor();
    await settle(stack, created.id, 6);
    const r = await expectReportsAgree(page, stack, created.id, 'walk-cancelled');
    expect(r.byStatus.cancelled).toBeGreaterThan(0);
    expect(r.totals.sent).toBeLessThan(6);
    expect(await page.locator('[data-section=waiting]').isHidden()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'walk-cancelled.png'), fullPage: true });
  });
});
