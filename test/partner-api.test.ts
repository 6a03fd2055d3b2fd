import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SignJWT } from 'jose';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../src/auth/jwt-verifier.js';
import { createKeyStore, storedKey } from '../src/auth/key-store.js';
import { landmarksResponse } from '../src/http/schemas/landmarks.js';
import { problemBody } from '../src/http/schemas/problem.js';
import { readSample } from './samples.js';
import { authHeaders, postImage, startTestService, TEST_API_KEY, type TestService } from './service.js';

const LANDMARKS_ONLY = 'mk_live_landmarks_only_000000000000';
const EFFECTS_ONLY = 'mk_live_effects_only_00000000000000';
const TIGHT = 'mk_live_tight_daily_quota_00000000';
const JWT_SECRET = 'the-app-backend-shared-secret-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789';
const jwtOptions = { issuer: 'https://app.example', audience: 'mayfly' };

async function appToken(claims: Record<string, unknown> = {}, expiresAt: string | number = '5m'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(jwtOptions.issuer).setAudience(jwtOptions.audience)
    .setSubject('user-1234').setIssuedAt().setExpirationTime(expiresAt).sign(new TextEncoder().encode(JWT_SECRET));
}

let svc: TestService;
const logLines: string[] = [];
let ledgersWiped = 0;
const logs = (): Record<string, unknown>[] => logLines.map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  const credentials = {
    keys: createKeyStore([
      storedKey('test', TEST_API_KEY),
      storedKey('landmarks-only', LANDMARKS_ONLY, ['landmarks']),
      storedKey('effects-only', EFFECTS_ONLY, ['effects']),
      { ...storedKey('tight', TIGHT), limits: { daily: 2 } },
    ]),
    jwt: await createJwtVerifier({ algorithm: 'HS256', key: JWT_SECRET, ...jwtOptions, clockToleranceS: 0 }),
  };
  svc = await startTestService({ METRICS_TOKEN, CORS_ORIGINS: 'https://app.example.com' }, {
    credentials,
    logger: pino({ level: 'debug' }, { write: (line: string) => { logLines.push(line); } }),
    ledgerObserver: { onWiped: () => { ledgersWiped++; } },
  });
});
afterAll(async () => { await svc?.close(); });

const landmarks = (): string => `${svc.url}/v1/landmarks`;
const photo = readSample(2);

describe('who may call', () => {
  it('/healthz and /readyz stay open', async () => {
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
  });

  it('no credentials: 401 problem+json with WWW-Authenticate, before any upload is buffered', async () => {
    const wipedBefore = ledgersWiped;
    const res = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', {});
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mayfly"');
    expect(await res.json()).toMatchObject({ status: 401, code: 'missing_credentials' });
    // No request scope (hence no upload buffer) was ever opened for it.
    expect(ledgersWiped).toBe(wipedBefore);
  });

  it('a wrong key, or a malformed Authorization header: 401 invalid_credentials', async () => {
    const attempts: Record<string, string>[] = [
      { Authorization: `Bearer ${TEST_API_KEY}x` },
      { 'X-API-Key': TEST_API_KEY.slice(0, -1) },
      { Authorization: `Basic ${Buffer.from(`u:${TEST_API_KEY}`).toString('base64')}` },
    ];
    for (const headers of attempts) {
      const res = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(((await res.json()) as { code: string }).code).toBe('invalid_credentials');
    }
  });

  it('accepts the key as Bearer and as X-API-Key', async () => {
    const bearer = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', authHeaders());
    const header = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', { 'X-API-Key': TEST_API_KEY });
    expect([bearer.status, header.status]).toEqual([200, 200]);
    const [one, two] = [await bearer.json(), await header.json()] as { faces: unknown[] }[];
    expect(one!.faces).toHaveLength(3);
    expect(two).toEqual(one);
  });

  it('accepts an app JWT; refuses an expired one and one signed for another audience', async () => {
    const ok = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', { Authorization: `Bearer ${await appToken()}` });
    expect(ok.status).toBe(200);
    const expired = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg',
      { Authorization: `Bearer ${await appToken({}, Math.floor(Date.now() / 1000) - 120)}` });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: 'invalid_credentials', detail: 'The token has expired.' });
    const otherAudience = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(jwtOptions.issuer).setAudience('another-service')
      .setSubject('user-1234').setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
    expect((await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', { Authorization: `Bearer ${otherAudience}` })).status).toBe(401);
  });

  it('valid credentials without the route\'s scope: 403 forbidden', async () => {
    const effectsKey = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', { 'X-API-Key': EFFECTS_ONLY });
    expect(effectsKey.status).toBe(403);
    expect(await effectsKey.json()).toMatchObject({ code: 'forbidden', detail: 'These credentials are not allowed to use "landmarks".' });
    const effectsToken = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', { Authorization: `Bearer ${await appToken({ scope: 'effects' })}` });
    expect(effectsToken.status).toBe(403);
    const landmarksKey = await postImage(`${svc.url}/v1/effects/frame`, photo, {}, 'image', 'photo.jpg', { 'X-API-Key': LANDMARKS_ONLY });
    expect(landmarksKey.status).toBe(403);
    expect(((await landmarksKey.json()) as { detail: string }).detail).toContain('"effects"');
    const allowed = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', { 'X-API-Key': LANDMARKS_ONLY });
    expect(allowed.status).toBe(200);
  });
});

describe('rate limits and quotas', () => {
  it('answers carry RateLimit-* headers', async () => {
    const res = await postImage(landmarks(), photo);
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy')).toBe('10000;w=1, 10000;w=10, 100000000;w=86400');
    expect(res.headers.get('ratelimit-limit')).toBe('10000');
    expect(Number(res.headers.get('ratelimit-remaining'))).toBeLessThan(10000);
    expect(res.headers.get('ratelimit-reset')).toBe('1');
  });

  it('a key past its daily quota gets 429 quota_exceeded with Retry-After, without its upload being read', async () => {
    const headers = { 'X-API-Key': TIGHT };
    expect((await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', headers)).status).toBe(200);
    const second = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', headers);
    expect(second.status).toBe(200);
    expect(second.headers.get('ratelimit-remaining')).toBe('0');
    const wipedBefore = ledgersWiped;
    const third = await postImage(landmarks(), photo, {}, 'image', 'photo.jpg', headers);
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ code: 'quota_exceeded', status: 429 });
    const retryAfter = Number(third.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(86_000);
    expect(third.headers.get('ratelimit-reset')).toBe(String(retryAfter));
    expect(third.headers.get('ratelimit-limit')).toBe('2');
    expect(ledgersWiped).toBe(wipedBefore);
    // Other keys are not affected.
    expect((await postImage(landmarks(), photo)).status).toBe(200);
  });
});

describe('request ids, logs, security headers, CORS', () => {
  it('echoes a sane X-Request-Id and replaces anything else with a fresh UUID', async () => {
    const sane = await fetch(`${svc.url}/healthz`, { headers: { 'X-Request-Id': 'partner-42.req:7' } });
    expect(sane.headers.get('x-request-id')).toBe('partner-42.req:7');
    for (const bad of ['has spaces in it', 'x'.repeat(65), 'semi;colon']) {
      const res = await fetch(`${svc.url}/healthz`, { headers: { 'X-Request-Id': bad } });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('logs one line per request: id, key id, route, status, stage timings, masked client; never the filename, key or landmarks', async () => {
    const res = await postImage(landmarks(), readSample(1), {}, 'image', 'secret-holiday-photo.jpg',
      { ...authHeaders(), 'X-Request-Id': 'log-check-1' });
    const body = await res.json() as { faces: { landmarks: [number, number][] }[] };
    await new Promise((resolve) => setImmediate(resolve));
    const line = logs().find((l) => l.reqId === 'log-check-1');
    expect(line).toMatchObject({ msg: 'request', keyId: 'key:test', method: 'POST', route: '/v1/landmarks', status: 200, client: '127.0.0.0' });
    const stages = line!.stages as Record<string, number>;
    expect(stages.decode).toBeGreaterThan(0);
    expect(stages.detect).toBeGreaterThan(0);
    const text = logLines.join('');
    expect(text).not.toContain('secret-holiday');
    expect(text).not.toContain(TEST_API_KEY);
    expect(text).not.toContain(JWT_SECRET);
    expect(text).not.toContain('127.0.0.1');
    const [x, y] = body.faces[0]!.landmarks[30]!;
    expect(text).not.toContain(`[${x},${y}]`);
    const refused = logs().find((l) => l.code === 'missing_credentials');
    expect(refused).toMatchObject({ status: 401, route: '/v1/landmarks' });
  });

  it('sets helmet\'s security headers and no X-Powered-By', async () => {
    const res = await fetch(`${svc.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('answers CORS preflights for configured origins only, without asking for credentials', async () => {
    const preflight = (origin: string) => fetch(landmarks(), {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const real = await postImage(landmarks(), photo, {}, 'image', 'p.jpg', { ...authHeaders(), Origin: 'https://app.example.com' });
    expect(real.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(real.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
  });
});

describe('GET /metrics', () => {
  it('requires METRICS_TOKEN', async () => {
    expect((await fetch(`${svc.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${svc.url}/metrics`, { headers: { Authorization: `Bearer ${TEST_API_KEY}` } })).status).toBe(401);
  });

  it('counts requests by route and status, stage durations, rejections, workers, memory', async () => {
    const res = await fetch(`${svc.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
    };
    expect(value('mayfly_http_requests_total{route="/v1/landmarks",method="POST",status="200"}')).toBeGreaterThanOrEqual(8);
    expect(value('mayfly_http_requests_total{route="/v1/landmarks",method="POST",status="401"}')).toBeGreaterThanOrEqual(4);
    expect(value('mayfly_stage_duration_seconds_count{stage="decode"}')).toBeGreaterThanOrEqual(8);
    expect(value('mayfly_stage_duration_seconds_count{stage="detect"}')).toBeGreaterThanOrEqual(8);
    expect(value('mayfly_rejections_total{code="missing_credentials"}')).toBeGreaterThanOrEqual(1);
    expect(value('mayfly_rejections_total{code="quota_exceeded"}')).toBe(1);
    expect(value('mayfly_rejections_total{code="forbidden"}')).toBe(3);
    expect(value('mayfly_detector_workers')).toBe(1);
    expect(value('mayfly_detector_queue_depth')).toBe(0);
    expect(value('mayfly_detector_workers_busy')).toBe(0);
    expect(value('mayfly_process_resident_memory_bytes')).toBeGreaterThan(50 * 1024 * 1024);
    expect(text).not.toContain('key:test');
  });
});

describe('OpenAPI and /docs', () => {
  let doc: { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>; components: { schemas: Record<string, object> } };
  let ajv: Ajv2020;
  beforeAll(async () => {
    const res = await fetch(`${svc.url}/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json() as typeof doc;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
  });
  const validate = (name: string, body: unknown): boolean => ajv.validate(doc.components.schemas[name]!, body);

  it('is OpenAPI 3.1 with the secured image route and the open operational ones', () => {
    expect(doc.openapi).toBe('3.1.0');
    const post = doc.paths['/v1/landmarks']!.post!;
    expect(post.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '401', '403', '408', '413', '415', '422', '429', '431', '500', '503']);
    expect(doc.paths['/healthz']!.get!.security).toEqual([]);
  });

  it('its schemas describe what the service really answers (and reject what it does not)', async () => {
    const ok = await (await postImage(landmarks(), readSample(4))).json() as { faces: { landmarks: unknown[] }[] };
    expect(validate('LandmarksResponse', ok)).toBe(true);
    expect(landmarksResponse.safeParse(ok).success).toBe(true);
    const broken = { ...ok, faces: [{ ...ok.faces[0], landmarks: ok.faces[0]!.landmarks.slice(1) }] };
    expect(validate('LandmarksResponse', broken)).toBe(false);
    const problems = await Promise.all([
      postImage(landmarks(), photo, {}, 'image', 'p.jpg', {}),
      postImage(landmarks(), photo, {}, 'image', 'p.jpg', { 'X-API-Key': EFFECTS_ONLY }),
      postImage(landmarks(), photo, {}, 'image', 'p.jpg', { 'X-API-Key': TIGHT }),
      fetch(landmarks(), { method: 'POST', headers: authHeaders(), body: 'not multipart' }),
    ].map(async (r) => (await r).json()));
    expect(problems.map((p) => (p as { code: string }).code)).toEqual(['missing_credentials', 'forbidden', 'quota_exceeded', 'not_multipart']);
    for (const problem of problems) {
      expect(validate('Problem', problem)).toBe(true);
      expect(problemBody.safeParse(problem).success).toBe(true);
    }
    expect(validate('Problem', { ...problems[0] as object, extra: 'field' })).toBe(false);
  });

  it('/docs is a page served from the swagger-ui-dist package, with a script-src \'self\' CSP', async () => {
    const page = await fetch(`${svc.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>[^<]/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    const bundle = await fetch(`${svc.url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect((await bundle.text()).length).toBeGreaterThan(500_000);
    expect(await (await fetch(`${svc.url}/docs/assets/init.js`)).text()).toContain("url: '/openapi.json'");
    expect((await fetch(`${svc.url}/docs/assets/package.json`)).status).toBe(404);
  });

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  it.skipIf(!chromium)('/docs renders the reference in a real browser under its CSP, offline', async () => {
    const dom = await new Promise<string>((resolve, reject) => {
      execFile(chromium!, [
        '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
        '--user-data-dir=/dev/shm/mayfly-docs-chromium', '--virtual-time-budget=15000', '--dump-dom', `${svc.url}/docs`,
      ], { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    // Rendered by Swagger UI from /openapi.json: the title, the operation and its summary.
    expect(dom).toContain('swagger-ui');
    expect(dom).toContain('/v1/landmarks');
    expect(dom).toContain('Find every face and its 68 landmarks');
  });
});
