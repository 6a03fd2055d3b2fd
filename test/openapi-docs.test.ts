import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_SAMPLES } from '../src/http/problem-catalogue.js';
import { PROBLEM_CODES } from '../src/http/schemas/problem.js';
import { NO_DISK_PATH } from '../src/privacy/native-env.js';
import { readSample } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

/**
 * The contract as partners meet it: the served /openapi.json linted by redocly (its CLI, on the
 * URL, as a partner's CI would), the reference at /docs and /docs/ rendered by chromium without
 * Swagger UI's error banner, a page per problem type, and CORS exposing what a web client reads.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ORIGIN = 'https://app.example';
const require = createRequire(import.meta.url);
const REDOCLY = require.resolve('@redocly/cli/bin/cli.js');

/** Warnings accepted, with the reason (the report and docs say the same). */
const ACCEPTED_WARNINGS: Readonly<Record<string, string>> = {
  // The project has not chosen a licence: the document says "UNLICENSED" rather than invent an SPDX id or URL.
  'info-license-strict': 'no licence chosen yet',
};

interface Doc {
  info: { license?: { name: string } };
  servers?: { url: string }[];
  paths: Record<string, Record<string, {
    requestBody?: { content: Record<string, { schema: { $ref?: string }; encoding?: Record<string, { contentType: string }> }> };
    responses: Record<string, { content?: Record<string, { schema: Record<string, unknown>; examples?: Record<string, { value: { code: string; status: number; type: string } }> }> }>;
  }>>;
  components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
}

let svc: TestService;
let doc: Doc;
let browser: Browser;
beforeAll(async () => {
  svc = await startTestService({ CORS_ORIGINS: ORIGIN });
  doc = await (await fetch(`${svc.url}/openapi.json`)).json() as Doc;
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

describe('the served OpenAPI document', () => {
  it('lints clean with redocly (0 errors; only the accepted warnings)', async () => {
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) => {
      execFile(process.execPath, [REDOCLY, 'lint', '--format=json', `${svc.url}/openapi.json`], {
        timeout: 60_000, maxBuffer: 10 * 1024 * 1024,
        env: { ...process.env, TMPDIR: '/tmp', REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      }, (error, out) => resolve({ stdout: out, code: error ? Number((error as { code?: number }).code ?? 1) : 0 }));
    });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string }[] };
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(code).toBe(0);
    const unexpected = report.problems.filter((p) => !(p.ruleId in ACCEPTED_WARNINGS));
    expect(unexpected).toEqual([]);
  });

  it('has servers, a licence, integer form fields with bounds, enums and binary images', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.info.license?.name).toBeTruthy();
    const effect = doc.components.schemas.EffectRequest!.properties;
    expect(effect.quality).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(effect.strength).toMatchObject({ type: 'integer', minimum: 0, maximum: 100 });
    expect(effect.maxSize).toMatchObject({ type: 'integer', minimum: 64 });
    expect(effect.format).toMatchObject({ type: 'string', enum: ['jpeg', 'png', 'webp', 'avif', 'jpg'] });
    expect(effect.face).toEqual(expect.objectContaining({
      anyOf: [{ type: 'string', enum: ['all', 'largest'] }, { type: 'integer', minimum: 0, maximum: 999 }],
    }));
    const post = doc.paths['/v1/effects/{templateId}']!.post!;
    expect(post.requestBody!.content['multipart/form-data']!.encoding!.image!.contentType).toContain('image/jpeg');
    for (const type of ['image/jpeg', 'image/png', 'image/webp', 'image/avif']) {
      expect(post.responses['200']!.content![type]!.schema).toMatchObject({ type: 'string', format: 'binary' });
    }
  });

  it('every 4xx/5xx answer of every operation has examples of its own status, each a page at /problems', async () => {
    const seen = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const statuses = Object.keys(op.responses).filter((s) => Number(s) >= 400);
        expect(statuses.some((s) => s.startsWith('4')), `${method} ${path} has a 4xx`).toBe(true);
        for (const status of statuses) {
          const content = op.responses[status]!.content!['application/problem+json'] ?? op.responses[status]!.content!['application/json'];
          if (!content?.examples) {
            // /readyz's 503 is its JSON readiness body, not a problem.
            expect(`${path} ${status}`).toBe('/readyz 503');
            continue;
          }
          const examples = Object.values(content.examples);
          expect(examples.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
          for (const { value } of examples) {
            expect(value.status).toBe(Number(status));
            expect(value.type).toBe(`/problems/${value.code}`);
            seen.add(value.code);
          }
        }
      }
    }
    expect(seen.size).toBeGreaterThan(20);
  });
});

describe('/problems/<code>', () => {
  it('serves a short human page for every code of the catalogue, and an index', async () => {
    for (const code of PROBLEM_CODES) {
      const res = await fetch(`${svc.url}/problems/${code}`);
      expect(res.status, code).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const html = await res.text();
      expect(html).toContain(`<code>${code}</code>`);
      expect(html).toContain(`HTTP status <strong>${PROBLEM_SAMPLES[code].status}</strong>`);
      expect(html).toContain('What to do');
    }
    const index = await (await fetch(`${svc.url}/problems`)).text();
    for (const code of PROBLEM_CODES) expect(index).toContain(`href="/problems/${code}"`);
  });

  it('the type of a real answer resolves; an unknown code is a 404 problem that does not repeat it', async () => {
    const problem = await (await postImage(`${svc.url}/v1/landmarks`, readSample(1), {}, 'image', 'p.jpg', {})).json() as { type: string };
    expect((await fetch(new URL(problem.type, svc.url))).status).toBe(200);
    const res = await fetch(`${svc.url}/problems/no_such_code_here`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('no_such_code_here');
  });
});

describe('CORS', () => {
  it('exposes the headers a web client reads', async () => {
    const res = await fetch(`${svc.url}/v1/templates`, { headers: { Origin: ORIGIN } });
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
    for (const header of ['x-faces-used', 'server-timing', 'x-request-id', 'retry-after', 'ratelimit-policy', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
      expect(exposed).toContain(header);
    }
  });
});

describe('/docs in chromium', () => {
  it.each(['/docs', '/docs/'])('%s renders every operation without an error banner', async (path) => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
    page.on('console', (m) => { if (m.type() === 'error') failed.push(`console: ${m.text()}`); });
    await page.goto(`${svc.url}${path}`);
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
    // One block per operation of the served document.
    const served = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(served.paths).reduce((n, path) => n + Object.keys(path).length, 0);
    expect(operations).toBeGreaterThanOrEqual(7);
    expect(await page.locator('.opblock').count()).toBe(operations);
    expect(await page.locator('.errors-wrapper').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toMatch(/not supported|Errors/);
    expect(failed).toEqual([]);
    await page.close();
  });
});
