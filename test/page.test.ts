import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { NO_DISK_PATH } from '../src/privacy/native-env.js';
import { samplePath } from './samples.js';
import { startTestService, TEST_API_KEY, type TestService } from './service.js';

/**
 * The try-it page in a real headless browser (Debian's chromium, driven by playwright-core):
 * upload a sample photo, show its landmarks, apply a template, and see a result image appear —
 * while the page keeps nothing (no localStorage, no service worker).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let svc: TestService;
let browser: Browser;
beforeAll(async () => {
  svc = await startTestService();
  // The browser is the test's tool, not the service: playwright makes its artifacts folder in
  // os.tmpdir(), which the test setup points at a path that does not exist (no-disk rule).
  process.env.TMPDIR = '/tmp';
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  process.env.TMPDIR = NO_DISK_PATH;
});
afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

describe('GET / (the try-it page)', () => {
  it('shows landmarks and an effect result for an uploaded photo, and stores nothing', async () => {
    const page = await browser.newPage();
    const failedRequests: string[] = [];
    page.on('requestfailed', (r) => failedRequests.push(r.url()));
    page.on('console', (m) => { if (m.type() === 'error') failedRequests.push(`console: ${m.text()}`); });
    page.on('request', (r) => { if (!r.url().startsWith(svc.url) && !r.url().startsWith('blob:')) failedRequests.push(`external: ${r.url()}`); });
    await page.goto(svc.url);
    await page.fill('#key', TEST_API_KEY);
    await page.dispatchEvent('#key', 'change');
    await page.waitForSelector('.gallery button');
    const templateCount = await page.locator('.gallery button').count();
    expect(templateCount).toBeGreaterThanOrEqual(8);

    await page.check('#show-landmarks');
    await page.setInputFiles('#photo', samplePath(1));
    await page.locator('#status', { hasText: /3 face\(s\) found/ }).waitFor();
    expect(await page.locator('#landmarks').getAttribute('width')).toBe('1920');

    await page.locator('.gallery button').first().click();
    await page.locator('#status', { hasText: /^Done in \d+ ms/ }).waitFor({ timeout: 30_000 });
    // Browser-side functions are typed loosely: the project's TypeScript has no DOM types.
    const natural = await page.locator('#result').evaluate(async (element) => {
      const img = element as unknown as { decode(): Promise<void>; naturalWidth: number };
      await img.decode();
      return img.naturalWidth;
    });
    expect(natural).toBeGreaterThan(0);
    const status = await page.textContent('#status');
    expect(status).toMatch(/^Done in \d+ ms/);

    const stored = await page.evaluate(async () => {
      const w = globalThis as unknown as {
        localStorage: { length: number }; sessionStorage: { length: number }; document: { cookie: string };
        navigator: { serviceWorker?: { getRegistrations(): Promise<unknown[]> } };
      };
      return {
        local: w.localStorage.length,
        session: w.sessionStorage.length,
        workers: (await w.navigator.serviceWorker?.getRegistrations())?.length ?? 0,
        cookies: w.document.cookie,
      };
    });
    expect(stored).toEqual({ local: 0, session: 0, workers: 0, cookies: '' });
    expect(failedRequests).toEqual([]);
    await page.close();
  });
});
