import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { TOKEN, type Stack } from './stack.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** Where browser tests save their screenshots (to be looked at). */
export const SHOTS = path.resolve('test-results');

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Headless Chromium on its own throw-away profile, one page, any page error
 * failing the test; screenshots go to SHOTS.
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
    ...(o.timezoneId ? { timezoneId: o.timezoneId } : {}),
    ...(o.acceptDownloads ? { acceptDownloads: true } : {}),
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

/** Sign in to the dashboard with the stack's token. */
export async function signIn(page: Page, stack: Stack): Promise<void> {
  await page.goto(stack.url);
  await page.fill('#token', TOKEN);
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
}
