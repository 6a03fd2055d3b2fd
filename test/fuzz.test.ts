import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { animatedWebp, apng, zTxtPng } from '../scripts/hostile-images.mjs';
import { whole, withClap } from './avif-clap.js';
import { fixPngCrcs, mutate, pick, seeded, type Random } from './mutator.js';
import { multipartBody, rawExchange, requestHead, type RawResponse } from './raw-http.js';
import { readSample } from './samples.js';
import { authHeaders } from './service.js';
import { spawnServer, type SpawnedServer } from './spawn-server.js';

/**
 * Fuzzing the built server (issue 13): mutants of JPEG, PNG, WebP and AVIF seeds and abusive
 * HTTP/multipart over raw sockets. Deterministic (FUZZ_SEED, default fixed) and bounded
 * (FUZZ_COUNT mutants per format, default 60, plus 80 protocol cases; about 30–60 s here), so a
 * failure reproduces with the seed and the index it prints. For each input: 200, or a 4xx
 * problem+json; never a 5xx; an answer within the deadline; the service alive. At the end, RSS
 * back near its baseline. FUZZ_COUNT=2000 for a longer run by hand.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x6d61_7966);
const COUNT = Number(process.env.FUZZ_COUNT ?? 60);
const PROTOCOL_COUNT = Number(process.env.FUZZ_PROTOCOL_COUNT ?? 80);
const ANSWER_WITHIN_MS = 20_000;
const MiB = 1024 * 1024;

let server: SpawnedServer;
let port: number;
const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1]) * 1024;

beforeAll(async () => {
  server = await spawnServer({ env: {
    MAX_UPLOAD_BYTES: String(2 * MiB), REQUEST_TIMEOUT_MS: '15000', MAX_IN_FLIGHT: '64', MAX_CONCURRENT_UPLOADS: '64',
    // Bodies that lie about their length end with a 408 after this pause, not after the default 5 s.
    BODY_IDLE_TIMEOUT_MS: '500',
  } });
  port = Number(new URL(server.url).port);
});
afterAll(async () => { await server?.stop(); });

interface Outcome { status: number; contentType: string; body: string }

async function post(path: string, bytes: Uint8Array, fields: Record<string, string> = {}): Promise<Outcome> {
  const form = new FormData();
  form.append('image', new Blob([bytes]), 'photo');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body: form, headers: authHeaders(), signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}

function acceptable(o: { status: number; contentType?: string }): boolean {
  if (o.status === 200) return true;
  return o.status >= 400 && o.status < 500 && (o.contentType ?? '').startsWith('application/problem+json');
}

async function alive(): Promise<boolean> {
  const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  await res?.arrayBuffer();
  return res?.status === 200;
}

async function seeds(): Promise<Record<string, Buffer[]>> {
  const photo = sharp(readSample(2)).resize(320);
  const avif = await photo.clone().avif({ effort: 0, quality: 40 }).toBuffer();
  return {
    jpeg: [await photo.clone().jpeg().toBuffer(), await photo.clone().jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).withExif({ IFD0: { Copyright: 'x' } }).toBuffer()],
    png: [await photo.clone().png().toBuffer(), await photo.clone().png({ progressive: true }).toBuffer(), await zTxtPng(3, 64 * 1024, await photo.clone().png().toBuffer()), await apng(32)],
    webp: [await photo.clone().webp().toBuffer(), await photo.clone().webp({ lossless: true }).toBuffer(), await photo.clone().ensureAlpha(0.5).webp().toBuffer(), await animatedWebp(512)],
    avif: [avif, withClap(avif, { width: whole(200), height: whole(150), horizOff: whole(0), vertOff: whole(0) })],
  };
}

describe('fuzz: mutated images', () => {
  let baseline = 0;
  const statuses: Record<string, Record<number, number>> = {};

  it('warms up and records the baseline RSS', async () => {
    for (let i = 0; i < 4; i++) expect((await post('/v1/landmarks', readSample(1 + i))).status).toBe(200);
    baseline = rssOf(server.pid);
  });

  for (const format of ['jpeg', 'png', 'webp', 'avif'] as const) {
    it(`${COUNT} mutants of ${format} seeds: 200 or 4xx problem+json, never 5xx, no hang`, async () => {
      const all = await seeds();
      const random: Random = seeded(SEED ^ format.charCodeAt(0));
      for (let i = 0; i < COUNT; i++) {
        const mutant = mutate(pick(all[format]!, random), random);
        const input = format === 'png' && i % 2 === 0 ? fixPngCrcs(mutant) : mutant;
        // Mostly landmarks; every fourth an effect (its own decode and encode paths).
        const outcome = i % 4 === 3
          ? await post('/v1/effects/knight', input, { maxSize: '256' })
          : await post('/v1/landmarks', input);
        const counts = (statuses[format] ??= {});
        counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
        expect(acceptable(outcome), `seed ${SEED} ${format} #${i}: ${outcome.status} ${outcome.body.slice(0, 200)}`).toBe(true);
      }
      expect(await alive()).toBe(true);
    });
  }

  it('RSS comes back near the baseline', async () => {
    // Let the allocator settle, then compare (figures printed for the report).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = rssOf(server.pid);
    console.log(`fuzz statuses ${JSON.stringify(statuses)}; RSS baseline ${(baseline / MiB).toFixed(0)} MiB, after ${(after / MiB).toFixed(0)} MiB`);
    expect(after - baseline).toBeLessThan(150 * MiB);
  });
});

/** Abusive requests: broken request lines and headers, lying lengths, broken multipart. */
function protocolCase(random: Random, photo: Buffer): { kind: number; parts: (string | Buffer)[] } {
  const boundary = 'fuzzBoundary';
  const good = multipartBody(boundary, [{ name: 'image', filename: 'p.jpg', contentType: 'image/jpeg', data: photo }]);
  const goodHead = (headers: Record<string, string | number> = {}): string =>
    requestHead('/v1/landmarks', { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': good.length, ...headers });
  const kinds: (() => (string | Buffer)[])[] = [
    () => [mutate(Buffer.from(goodHead(), 'latin1'), random), good],
    () => [goodHead(), mutate(good, random)],
    () => [goodHead({ 'Content-Length': good.length + 1 + Math.floor(random() * 1000) }), good],
    () => [goodHead({ 'Content-Length': Math.floor(random() * good.length) }), good],
    () => [goodHead({ 'Transfer-Encoding': 'chunked', 'Content-Length': good.length }), good],
    () => [requestHead('/v1/landmarks', { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked' }),
      `${(good.length + 7).toString(16)}\r\n`, good, '\r\n0\r\n\r\n'],
    () => [requestHead('/v1/landmarks', { 'Content-Type': 'multipart/form-data', 'Content-Length': good.length }), good],
    () => [requestHead('/v1/landmarks', { 'Content-Type': `multipart/form-data; boundary=${'b'.repeat(200)}`, 'Content-Length': good.length }), good],
    () => {
      const parts = multipartBody(boundary, [
        { name: 'image', filename: 'a.jpg', data: photo }, { name: 'image', filename: 'b.jpg', data: photo },
      ]);
      return [goodHead({ 'Content-Length': parts.length }), parts];
    },
    () => {
      const parts = multipartBody(boundary, Array.from({ length: 200 }, (_, i) => ({ name: `f${i}`, data: 'x' })));
      return [requestHead('/v1/effects/knight', { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': parts.length }), parts];
    },
    () => [`${pick(['GET', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'CONNECT', 'BREW', 'G\0T'], random)} ${pick(['/v1/landmarks', '*', 'http://x/v1/landmarks', '/%ff%00', '/../../etc/passwd', '/v1/effects/%2e%2e'], random)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    () => [`GET /healthz HTTP/${pick(['0.9', '1.2', '2.0', '9.9', '1'], random)}\r\nHost: x\r\n\r\n`],
    () => [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000 + Math.floor(random() * 80_000))}\r\n\r\n`],
    () => [`GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: y`).join('\r\n')}\r\n\r\n`],
    () => [goodHead({ Expect: pick(['100-continue', 'weird', '100-Continue, x'], random) }), good],
    () => [Buffer.from(Array.from({ length: 1 + Math.floor(random() * 400) }, () => Math.floor(random() * 256)))],
    () => [goodHead(), good, mutate(Buffer.from(goodHead(), 'latin1'), random)],
  ];
  const kind = Math.floor(random() * kinds.length);
  return { kind, parts: kinds[kind]!() };
}

describe('fuzz: protocol and multipart abuse over raw sockets', () => {
  it(`${PROTOCOL_COUNT} abusive requests: every answer 200/4xx problem+json, never 5xx, the service alive`, async () => {
    const random = seeded(SEED ^ 0x5052);
    const photo = await sharp(readSample(3)).resize(256).jpeg().toBuffer();
    for (let i = 0; i < PROTOCOL_COUNT; i++) {
      const { kind, parts } = protocolCase(random, photo);
      const started = Date.now();
      // The client half-closes after writing, so a lying Content-Length ends at EOF, not a timeout.
      const { response } = rawExchange(port, parts, { end: true, maxMs: ANSWER_WITHIN_MS });
      const res: RawResponse = await response;
      if (process.env.FUZZ_DEBUG) console.log(`#${i} kind ${kind} ${Date.now() - started} ms status ${res.status}`);
      // Every response on the connection (pipelined requests get several).
      const statuses = [...res.raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      const where = `seed ${SEED} protocol #${i}: ${res.raw.slice(0, 160).replace(/\r\n/g, ' | ')}`;
      for (const status of statuses) expect(status < 500, where).toBe(true);
      if (res.status >= 400) {
        expect(res.headers['content-type'] ?? '', where).toMatch(/^application\/problem\+json/);
        expect(res.headers['cache-control'], where).toBe('no-store');
      }
    }
    expect(await alive()).toBe(true);
  });
});
