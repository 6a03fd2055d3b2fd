import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { NO_DISK_PATH } from '../src/privacy/native-env.js';
import { samplePath } from './samples.js';
import { startTestService, TEST_API_KEY, type TestService } from './service.js';

/**
 * The try-it page in a real headless browser (Debian's chromium, driven by playwright-core), at a
 * desktop size and a 390×844 phone: a photo from a file or the camera (a fake device, opened only
 * on request), a template, the settings, the picture first on a phone, download, the key prompt
 * that re-runs what it blocked, landmarks — and the page keeps nothing (no storage, cookies or
 * service worker) and loads nothing from elsewhere. Screenshots go to SCREENS_DIR (outside the
 * repository) for people to look at; the assertions do not depend on them.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Screenshots to look at (outside the repository; not the service's no-disk TMPDIR).
const SCREENS_DIR = process.env.SCREENS_DIR ?? '/tmp/mayfly-screens';
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

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
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // A synthetic camera that needs no permission prompt: the camera path runs for real.
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
  process.env.TMPDIR = NO_DISK_PATH;
});
afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

interface Watched { page: Page; problems: string[]; cameraCalls(): Promise<number> }

/** A fresh context (no shared state), watching for failed or foreign requests and console errors. */
async function openPage(options: BrowserContextOptions): Promise<Watched> {
  const context = await browser.newContext({ ...options, acceptDownloads: true });
  // Counts getUserMedia calls, to show the camera is opened only on request.
  await context.addInitScript(() => {
    const w = globalThis as unknown as { __cameraCalls: number; navigator: { mediaDevices?: { getUserMedia: (...a: unknown[]) => Promise<unknown> } } };
    w.__cameraCalls = 0;
    const devices = w.navigator.mediaDevices;
    if (devices) {
      const original = devices.getUserMedia.bind(devices);
      devices.getUserMedia = (...args: unknown[]) => { w.__cameraCalls++; return original(...args); };
    }
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
  // A 401 before the key is entered is expected; chromium logs it as a console error.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`); });
  page.on('request', (r) => { if (!r.url().startsWith(svc.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) problems.push(`external: ${r.url()}`); });
  await page.goto(svc.url);
  await page.waitForSelector('.gallery button');
  return { page, problems, cameraCalls: () => page.evaluate(() => (globalThis as unknown as { __cameraCalls: number }).__cameraCalls) };
}

async function storedNothing(page: Page): Promise<void> {
  const stored = await page.evaluate(async () => {
    const w = globalThis as unknown as {
      localStorage: { length: number }; sessionStorage: { length: number }; document: { cookie: string };
      navigator: { serviceWorker?: { getRegistrations(): Promise<unknown[]> } };
      indexedDB: { databases(): Promise<unknown[]> };
    };
    return {
      local: w.localStorage.length,
      session: w.sessionStorage.length,
      workers: (await w.navigator.serviceWorker?.getRegistrations())?.length ?? 0,
      cookies: w.document.cookie,
      databases: (await w.indexedDB.databases()).length,
    };
  });
  expect(stored).toEqual({ local: 0, session: 0, workers: 0, cookies: '', databases: 0 });
  expect((await page.context().cookies()).length).toBe(0);
}

const naturalWidth = (page: Page, selector: string): Promise<number> => page.locator(selector).evaluate(async (element) => {
  // Browser-side functions are typed loosely: the project's TypeScript has no DOM types.
  const img = element as unknown as { decode(): Promise<void>; naturalWidth: number };
  await img.decode();
  return img.naturalWidth;
});

const ready = (page: Page) => page.locator('#status', { hasText: /^Your picture is ready/ }).waitFor({ timeout: 30_000 });

async function downloaded(page: Page): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const chunks: Buffer[] = [];
  for await (const chunk of (await download.createReadStream())) chunks.push(chunk as Buffer);
  return { name: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

describe('GET / (the try-it page)', () => {
  it('desktop: photo, template, a key prompt that re-runs, result, download, settings, landmarks; keeps nothing', async () => {
    const { page, problems, cameraCalls } = await openPage(DESKTOP);
    mkdirSync(SCREENS_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENS_DIR}/page-desktop-start.png` });
    expect(await page.locator('.gallery button').count()).toBeGreaterThanOrEqual(8);
    expect(await page.locator('#key-panel').isVisible()).toBe(false);

    await page.setInputFiles('#photo', samplePath(1));
    await page.locator('#status', { hasText: 'Photo ready' }).waitFor();
    await page.locator('.gallery button[data-template="royal-crown"]').click();

    // No key yet: a plain-language prompt, focused, that re-runs the picture once a key is entered.
    await page.locator('#key-panel').waitFor({ state: 'visible' });
    const prompt = await page.locator('#key-panel').innerText();
    expect(prompt).toMatch(/access key you were given/);
    expect(prompt).not.toMatch(/bearer|jwt|authorization|header/i);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe('key');
    await page.fill('#key', TEST_API_KEY);
    await page.press('#key', 'Enter');
    await ready(page);
    expect(await page.locator('#key-panel').isVisible()).toBe(false);
    expect(await naturalWidth(page, '#result')).toBe(1024);
    expect(await page.getAttribute('#result', 'alt')).toContain('Royal crown');

    const jpeg = await downloaded(page);
    expect(jpeg.name).toBe('mayfly-royal-crown.jpg');
    expect([...jpeg.bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);

    // Settings re-run the picture: PNG, small.
    await page.selectOption('#format', 'png');
    await page.locator('#result-info', { hasText: 'PNG' }).waitFor({ timeout: 30_000 });
    await page.selectOption('#size', '512');
    await page.locator('#result-info', { hasText: /PNG/ }).waitFor();
    await ready(page);
    await expect.poll(() => naturalWidth(page, '#result'), { timeout: 30_000 }).toBe(512);
    const png = await downloaded(page);
    expect(png.name).toBe('mayfly-royal-crown.png');
    expect(png.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');

    // The keyboard chooses a template too.
    await page.locator('.gallery button[data-template="knight"]').focus();
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('.gallery button[data-template="knight"]', 'aria-pressed')).toBe('true');
    await ready(page);

    await page.check('#show-landmarks');
    await page.locator('#status', { hasText: /^3 faces found/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#landmarks').getAttribute('width')).toBe('1920');

    // Every control has an accessible name; every image has alt text (empty when decorative).
    const unlabelled = await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ id: string; tagName: string; labels?: ArrayLike<unknown>; getAttribute(n: string): string | null; textContent: string | null; type?: string }> } }).document;
      const out: string[] = [];
      for (const el of Array.from(d.querySelectorAll('input, select'))) {
        if ((el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label')) out.push(`${el.tagName}#${el.id}`);
      }
      for (const el of Array.from(d.querySelectorAll('button, a'))) if (!el.textContent?.trim() && !el.getAttribute('aria-label')) out.push(`${el.tagName}#${el.id}`);
      for (const el of Array.from(d.querySelectorAll('img'))) if (el.getAttribute('alt') === null) out.push(`img#${el.id}`);
      return out;
    });
    expect(unlabelled).toEqual([]);

    expect(await cameraCalls()).toBe(0);
    mkdirSync(SCREENS_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENS_DIR}/page-desktop-full.png`, fullPage: true });
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: `${SCREENS_DIR}/page-desktop.png` });
    await storedNothing(page);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('phone (390×844): the picture comes first and is in view; download works; keeps nothing', async () => {
    const { page, problems } = await openPage(PHONE);
    mkdirSync(SCREENS_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENS_DIR}/page-phone-start.png` });
    // The key first this time, from the settings' "Access key".
    await page.click('.key-details summary');
    await page.click('#key-change');
    await page.fill('#key', TEST_API_KEY);
    await page.click('#key-form button[type="submit"]');
    await page.locator('.gallery button[data-template="portrait-swap"]').click();
    await page.setInputFiles('#photo', samplePath(2));
    await ready(page);

    const result = (await page.locator('#result').boundingBox())!;
    const gallery = (await page.locator('#gallery').boundingBox())!;
    expect(result.y).toBeLessThan(gallery.y);
    // Scrolled into view: the picture's top is on screen, not below the templates.
    expect(result.y).toBeGreaterThanOrEqual(0);
    expect(result.y).toBeLessThan(844 / 2);
    expect(result.width).toBeGreaterThan(300);
    await page.screenshot({ path: `${SCREENS_DIR}/page-phone.png` });
    await page.screenshot({ path: `${SCREENS_DIR}/page-phone-full.png`, fullPage: true });

    const file = await downloaded(page);
    expect(file.name).toBe('mayfly-portrait-swap.jpg');
    expect(file.bytes.length).toBeGreaterThan(1000);
    await storedNothing(page);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('a portrait of your own: the photo and the portrait go to /v1/merge, and the picture comes back', async () => {
    const { page, problems } = await openPage(DESKTOP);
    await page.click('.key-details summary');
    await page.click('#key-change');
    await page.fill('#key', TEST_API_KEY);
    await page.click('#key-form button[type="submit"]');
    await page.setInputFiles('#photo', samplePath(1));
    // The service answers 200 only with both files (the portrait in "template"): the picture is the proof.
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/v1/merge') && r.request().method() === 'POST'),
      page.setInputFiles('#portrait', samplePath(3)),
    ]);
    expect(response.status()).toBe(200);
    await ready(page);
    expect(await naturalWidth(page, '#result')).toBeGreaterThan(500);
    expect(await page.locator('#result-info').textContent()).toContain('Your own portrait');
    await storedNothing(page);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('the camera opens only on request, takes a photo, and is stopped', async () => {
    const { page, problems, cameraCalls } = await openPage(DESKTOP);
    expect(await cameraCalls()).toBe(0);
    await page.click('#camera-start');
    await page.locator('#camera').waitFor({ state: 'visible' });
    await page.waitForFunction(() => ((globalThis as unknown as { document: { getElementById(id: string): { videoWidth: number } } }).document.getElementById('camera-video').videoWidth) > 0);
    expect(await cameraCalls()).toBe(1);
    await page.click('#camera-take');
    await page.locator('#status', { hasText: 'Photo ready' }).waitFor();
    expect(await naturalWidth(page, '#original')).toBeGreaterThan(0);
    const live = await page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { srcObject: unknown } } }).document.getElementById('camera-video').srcObject);
    expect(live).toBeNull();
    expect(await page.locator('#camera').isVisible()).toBe(false);
    await storedNothing(page);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
