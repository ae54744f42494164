import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Report } from '../../src/reports/schema.ts';
import { TOKEN, type Stack } from './stack.ts';

/** What the dashboard's browser tests share: Debian's chromium, the API with the token, the page's figures. */

export const CHROMIUM = '/usr/bin/chromium';
/** Where browser tests save their screenshots (to be looked at). */
export const SHOTS = path.resolve('test-results');

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Headless chromium in a profile of its own, at a desktop size unless told,
 * in Tokyo's time zone unless told (not the campaigns' zones: what is typed
 * must be read in the campaign's zone, not the browser's). A page error fails
 * the test; screenshots go to SHOTS.
 */
export async function openBrowser(o: { viewport?: { width: number; height: number }; timezoneId?: string; acceptDownloads?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  await mkdir(SHOTS, { recursive: true });
  const profile = await mkdtemp(path.join(tmpdir(), 'bluecast-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: o.viewport ?? { width: 1280, height: 900 },
    acceptDownloads: o.acceptDownloads ?? true,
    timezoneId: o.timezoneId ?? 'Asia/Tokyo',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => {
    throw err;
  });
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A call to the stack's JSON API with its token; throws on a non-2xx answer. */
export async function stackApi<T>(stack: Stack, p: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${stack.url}${p}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } });
  if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function tableRows(page: Page, name: string): Promise<string[][]> {
  return page.$$eval(`table[data-table="${name}"] tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

/** Every [data-metric] on the page: key → raw value; a key shown twice must show the same value. Per-row keys are read from the tables. */
export async function pageMetrics(page: Page, skip: (key: string) => boolean = () => false): Promise<Map<string, string>> {
  const pairs = await page.$$eval('[data-metric]', (els) => els.map((e) => [e.getAttribute('data-metric') ?? '', e.getAttribute('data-value') ?? '']));
  const out = new Map<string, string>();
  for (const [k, v] of pairs) {
    if (k!.startsWith('line.') || k === 'reason.count' || skip(k!)) continue;
    if (out.has(k!)) expect(v, `${k} shown twice with different values`).toBe(out.get(k!));
    out.set(k!, v!);
  }
  return out;
}

/**
 * Until a campaign has `messages` messages, every one final (nothing queued,
 * in flight or awaiting its delivery report), every webhook processed, and
 * the figures unchanged over three polls. iMessage deliveries are polled by
 * the reconciler (first poll 30 s after the send, bluecast's default).
 */
export async function settle(stack: Stack, campaignId: number, messages: number): Promise<void> {
  const deadline = Date.now() + 150_000;
  let last = '';
  let same = 0;
  while (same < 3) {
    if (Date.now() > deadline) throw new Error(`campaign did not settle: ${last}\n${stack.log()}`);
    const r = await stackApi<Report>(stack, `/api/campaigns/${campaignId}/report`);
    const pendingEvents = (await stack.db.pool.query('SELECT count(*)::int AS n FROM webhook_events WHERE processed_at IS NULL')).rows[0].n as number;
    const key = JSON.stringify([r.byStatus, r.totals]);
    const busy = r.totals.messages < messages || r.byStatus.queued + r.byStatus.sending + r.byStatus.sent > 0 || pendingEvents > 0;
    same = !busy && key === last ? same + 1 : 0;
    last = key;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Sign in to the dashboard with the stack's token. */
export async function signIn(page: Page, stack: Stack): Promise<void> {
  await page.goto(stack.url);
  await page.fill('#token', TOKEN);
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
}
