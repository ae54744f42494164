import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/provider/webhooks.ts';
import { eventually } from '../helpers/eventually.ts';
import { openBrowser, SHOTS, signIn, stackApi, type Browser } from './browser.ts';
import { SECRET, startStack, type Stack } from './stack.ts';

const PHONES = ['+14152021001', '+14152021002', '+14152021003', '+14152021004', '+14152021005'];

/**
 * An account refused by the provider, seen by an operator: `bluecast serve`
 * sends a campaign to a simulator answering 403 (agreement not accepted);
 * the campaign page shows the blocked banner with the provider's reason and
 * the agreement link, nobody failed; after the fix, Resume sends everyone
 * once; an odd webhook event about the campaign shows in its card.
 */
describe('dashboard: a campaign blocked by the provider', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack({ simulator: { imessageRatio: 1, replyRatio: 0, pacing: false, faults: { accountRefusal: 403 } } });
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const api = <T>(p: string, init: RequestInit = {}) => stackApi<T>(stack, p, init);
  const statuses = async (id: number) =>
    Object.fromEntries(
      (await stack.db.pool.query<{ s: string; n: number }>('SELECT status::text AS s, count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 GROUP BY 1', [id])).rows.map((r) => [r.s, r.n]),
    );

  it('shows the banner with the reason and the agreement link, fails nobody, resumes after the fix; odd events counted', async () => {
    const { id } = await api<{ id: number }>('/api/campaigns', { method: 'POST', body: JSON.stringify({ name: 'e2e-blocked', message: 'See you at the fair. Reply STOP to opt out.', window: 'any' }) });
    await api(`/api/campaigns/${id}/recipients?filename=people.csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: ['phone', ...PHONES].join('\n') });
    await api(`/api/campaigns/${id}/schedule`, { method: 'POST', body: JSON.stringify({ now: true }) });
    await eventually(async () => (await stack.db.pool.query('SELECT status::text FROM campaigns WHERE id = $1', [id])).rows[0].status === 'blocked', 30_000, 'campaign blocked', 100);

    const { page } = browser;
    await signIn(page, stack);
    await page.goto(`${stack.url}/#/campaigns/${id}`);
    const banner = page.locator('.blocked-banner');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    expect(text).toMatch(/Blocked by the provider: the iMessage agreement has not been accepted for this account.*\(HTTP 403\)/);
    expect(text).toMatch(/Nothing failed: the remaining messages stay queued/);
    // Seen first: above the campaign's numbers, not under the report.
    const bannerTop = (await banner.boundingBox())!.y;
    expect(bannerTop).toBeLessThan((await page.locator('[data-metric="totals.messages"]').first().boundingBox())!.y);
    expect(bannerTop).toBeLessThan(300);
    expect(await banner.locator('a').getAttribute('href')).toBe('https://contiguity.com/agreements/imessage');
    await page.locator('h1[data-campaign-name="e2e-blocked"] + p [data-status="blocked"]').waitFor();
    expect(await page.locator('[data-action=resume]').isDisabled()).toBe(false);
    expect(await page.locator('[data-metric="totals.failed"]').first().getAttribute('data-value')).toBe('0');
    expect(await statuses(id)).toEqual({ queued: 5 });
    expect(stack.sim.sent()).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-blocked.png'), fullPage: true });

    // The operator accepts the agreement, then presses Resume.
    stack.sim.clearFaults();
    await page.click('[data-action=resume]');
    await eventually(async () => (await statuses(id)).sent === 5 || (await statuses(id)).delivered === 5 ? true : undefined, 60_000, 'every message sent', 200);
    expect(stack.sim.sent().map((s) => s.to).sort()).toEqual(PHONES);
    await banner.waitFor({ state: 'detached' });

    // A signed delivery report off its documented shape, about one of the campaign's messages.
    const sent = stack.sim.sent()[0]!;
    const body = JSON.stringify({ id: 'evt_e2e_odd_1', type: 'text.delivery.confirmed', timestamp: Math.floor(Date.now() / 1000), api_version: 'v2026.8.2', data: { from: sent.from, to: sent.to, message_id: sent.id, timestamp: 'just now' } });
    const res = await fetch(`${stack.url}/webhooks/contiguity`, { method: 'POST', headers: { 'content-type': 'application/json', 'contiguity-signature': signatureHeader(body, SECRET, Date.now() / 1000) }, body });
    expect(res.status).toBe(200);
    await page.locator('[data-metric="webhooks.offShape"][data-value="1"]').waitFor({ timeout: 30_000 });
    await page.locator('table[data-table="webhook-events"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-blocked-resumed.png'), fullPage: true });
  });
});
