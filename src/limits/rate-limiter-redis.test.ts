import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../test/redis-server.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { connectRedis, type RedisStore } from './redis-store.js';

/** Two "replicas", each with its own Redis connection and in-memory fallback, sharing one real Redis. */
interface Replica {
  readonly store: RedisStore;
  readonly limiter: RateLimiter;
  readonly events: string[];
  fallbacks: number;
  until(event: 'up' | 'down'): Promise<void>;
}

function replica(url: string, timeoutMs = 200): Replica {
  const events: string[] = [];
  const waiting: { event: string; resolve: () => void }[] = [];
  const emit = (event: string): void => {
    events.push(event);
    for (const w of waiting.filter((x) => x.event === event)) w.resolve();
  };
  const store = connectRedis(url, timeoutMs, { onDown: () => emit('down'), onUp: () => emit('up') });
  const self: Replica = {
    store,
    events,
    fallbacks: 0,
    limiter: createRateLimiter({ burstWindowS: 10, store, onFallback: () => { self.fallbacks++; } }),
    until(event) {
      if (event === 'up' && store.isUp()) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ event, resolve }));
    },
  };
  return self;
}

let redis: TestRedis;
let a: Replica;
let b: Replica;
beforeAll(async () => {
  redis = await startTestRedis();
  a = replica(redis.url);
  b = replica(redis.url);
  await Promise.all([a.until('up'), b.until('up')]);
});
afterAll(async () => {
  await a?.store.close();
  await b?.store.close();
  await redis?.kill();
});

describe('rate limits shared through a real Redis', () => {
  it('counts one daily quota across replicas', async () => {
    const limits = { rps: 1000, burst: 0, daily: 5 };
    const answers = [];
    for (const r of [a, b, a, b, a, b, a]) answers.push(await r.limiter.check('key:shared', limits));
    expect(answers.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(answers.every((d) => !d.degraded)).toBe(true);
    expect(answers[5]).toMatchObject({ reason: 'quota' });
    expect(a.fallbacks + b.fallbacks).toBe(0);
  });

  it('counts one per-second limit across replicas', async () => {
    const limits = { rps: 3, burst: 0, daily: 1000 };
    // Three through replica A use up the shared second; the fourth, through B, is refused. Without
    // sharing B would always allow it. A second boundary between the calls frees the window, so
    // the attempt is repeated with a fresh key until one lands within a single second.
    let refusedByB = false;
    for (let attempt = 0; attempt < 5 && !refusedByB; attempt++) {
      const key = `key:second-${attempt}`;
      for (let i = 0; i < 3; i++) await a.limiter.check(key, limits);
      const fourth = await b.limiter.check(key, limits);
      if (!fourth.allowed) {
        refusedByB = true;
        expect(fourth).toMatchObject({ reason: 'rate', retryAfterS: 1, degraded: false });
        expect(fourth.headers['RateLimit-Limit']).toBe('3');
      }
    }
    expect(refusedByB).toBe(true);
  });

  it('when Redis hangs, decisions fall back to memory after the command timeout (fail open to local limits)', async () => {
    redis.pause();
    try {
      const limits = { rps: 1000, burst: 0, daily: 2 };
      const first = await a.limiter.check('key:hung', limits);
      expect(first).toMatchObject({ allowed: true, degraded: true });
      expect(a.fallbacks).toBeGreaterThan(0);
      // Local limits still hold while the store is away.
      await a.limiter.check('key:hung', limits);
      expect(await a.limiter.check('key:hung', limits)).toMatchObject({ allowed: false, reason: 'quota', degraded: true });
    } finally {
      redis.resume();
    }
  });

  it('when Redis goes away mid-run: warns, keeps answering with per-replica limits, and shares again once it is back', async () => {
    const limits = { rps: 1000, burst: 0, daily: 3 };
    expect((await a.limiter.check('key:outage', limits)).degraded).toBe(false);
    const downA = a.until('down');
    await redis.kill();
    await downA;
    expect(a.events).toContain('down');
    const before = a.fallbacks;
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await a.limiter.check('key:outage', limits));
    expect(during.every((d) => d.degraded)).toBe(true);
    expect(a.fallbacks).toBeGreaterThan(before);
    // Memory counters started empty at the outage: 3 allowed, then the local quota refuses.
    expect(during.map((d) => d.allowed)).toEqual([true, true, true, false]);

    await redis.restart();
    await Promise.all([a.until('up'), b.until('up')]);
    // A fresh Redis (no persistence): shared counting resumes from zero, across replicas again.
    const after = [];
    for (const r of [a, b, a, b]) after.push(await r.limiter.check('key:outage', limits));
    expect(after.map((d) => [d.allowed, d.degraded])).toEqual([[true, false], [true, false], [true, false], [false, false]]);
  });
});
