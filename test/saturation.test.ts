import { afterEach, describe, expect, it } from 'vitest';
import type { DetectorPool } from '../src/faces/detector-pool.js';
import { isZeroed, type Wipeable } from '../src/privacy/wipe-ledger.js';
import { readSample, SAMPLE_NUMBERS } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

/**
 * The service at and beyond its limits: excess load is shed with 503 overloaded (+ Retry-After)
 * instead of queueing, the per-request deadline answers 503 timeout and wipes the request's
 * buffers even for jobs still waiting in the pool's queue, and /healthz and /readyz keep
 * answering while every worker is busy.
 */
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

function poolOf(s: TestService): DetectorPool {
  return s.service.state.detector as DetectorPool;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`gave up waiting for ${what}`);
}

interface Problem { code: string; status: number }

describe('saturation', () => {
  it('sheds excess load at once with 503 overloaded and Retry-After; admitted requests succeed', async () => {
    // One worker, one waiting job: at most 2 requests past the upload stage.
    svc = await startTestService({ POOL_SIZE: '1', QUEUE_DEPTH: '1' });
    expect(svc.service.state.phase).toBe('ready');
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      postImage(`${svc!.url}/v1/landmarks`, readSample(SAMPLE_NUMBERS[i % 6]!))));
    const statuses = responses.map((r) => r.status);
    const shed = responses.filter((r) => r.status === 503);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(shed.length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const res of shed) {
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as Problem).code).toBe('overloaded');
    }
    await Promise.all(responses.filter((r) => r.status === 200).map((r) => r.json()));
    expect(poolOf(svc).stats().queued).toBe(0);
  });

  it('under sustained overload Retry-After grows with the load, up to RETRY_AFTER_MAX_S', async () => {
    // One slot; five clients that knock again at once (ignoring Retry-After) for three seconds.
    svc = await startTestService({ POOL_SIZE: '1', QUEUE_DEPTH: '0', RETRY_AFTER_MAX_S: '7' });
    const photo = readSample(1);
    const advised: number[] = [];
    let ok = 0;
    const end = Date.now() + 3000;
    await Promise.all(Array.from({ length: 5 }, async () => {
      while (Date.now() < end) {
        const res = await postImage(`${svc!.url}/v1/landmarks`, photo).catch(() => undefined);
        if (!res) continue; // a refused client still sending can see the connection close
        const body = await res.json() as Problem;
        if (res.status === 200) ok++;
        else if (body.code === 'overloaded') advised.push(Number(res.headers.get('retry-after')));
      }
    }));
    expect(ok).toBeGreaterThan(0);
    expect(advised.length).toBeGreaterThan(20);
    expect(advised.every((s) => Number.isInteger(s) && s >= 1 && s <= 7)).toBe(true);
    // The first refusals come before any slot was released (1 s); the last ones at the bound.
    expect(advised[0]).toBe(1);
    expect(advised.at(-1)).toBe(7);
  });

  it('answers /healthz and /readyz while every worker is busy and the queue is full', async () => {
    svc = await startTestService({ POOL_SIZE: '1', QUEUE_DEPTH: '2' });
    const pool = poolOf(svc);
    let finished = 0;
    const saturating = Array.from({ length: 6 }, (_, i) =>
      postImage(`${svc!.url}/v1/landmarks`, readSample(SAMPLE_NUMBERS[i]!)).then(async (r) => {
        await r.arrayBuffer();
        finished++;
        return r.status;
      }));
    await until(() => pool.stats().busy === 1 && pool.stats().queued >= 1, 'a busy worker and a queued job');
    const health = await fetch(`${svc.url}/healthz`);
    const ready = await fetch(`${svc.url}/readyz`);
    // Sanity bound, not a timing assertion: both answered while image work was still pending.
    const pendingWhenAnswered = 6 - finished;
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
    expect(pendingWhenAnswered).toBeGreaterThan(0);
    const statuses = await Promise.all(saturating);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
  });

  // The queue path alone (a job dropped from the pool's queue at its deadline, pixels zeroed) is
  // tested deterministically in src/faces/detector-pool.test.ts; this is the end-to-end view.
  it('answers 503 timeout at the deadline, wherever the request is, and wipes its buffers', async () => {
    const wiped: Wipeable[][] = [];
    // 100 ms: no request can be decoded and wait behind seven face detections in that time.
    svc = await startTestService({ POOL_SIZE: '1', QUEUE_DEPTH: '20', REQUEST_TIMEOUT_MS: '100' }, {
      ledgerObserver: { onWiped: (buffers) => wiped.push([...buffers]) },
    });
    const pool = poolOf(svc);
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      postImage(`${svc!.url}/v1/landmarks`, readSample(SAMPLE_NUMBERS[i % 6]!))));
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), body: await r.json() as Problem })));
    const timedOut = bodies.filter((b) => b.status === 503);
    expect(timedOut.length).toBeGreaterThanOrEqual(7);
    for (const b of timedOut) {
      expect(b.body.code).toBe('timeout');
      expect(b.retry).toBe('1');
    }
    expect(bodies.every((b) => b.status === 200 || b.status === 503)).toBe(true);
    // Every job that waited in the queue was taken out of it at its deadline.
    expect(pool.stats().queued).toBe(0);
    await until(() => wiped.length === 8, 'eight wiped ledgers');
    const buffers = wiped.flat();
    // Each request owned its upload and (if it got that far) its decoded pixels; all are zero now.
    expect(buffers.length).toBeGreaterThanOrEqual(8);
    expect(buffers.every(isZeroed)).toBe(true);
    // The worker finishes the abandoned job and is free again: the pool is not stuck.
    await until(() => pool.stats().busy === 0, 'the worker to finish its abandoned job');
  });
});
