import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

describe('rate limiter (in memory)', () => {
  it('allows rps per second, then refuses with Retry-After and RateLimit-* headers', async () => {
    const limiter = createRateLimiter({ burstWindowS: 10 });
    const limits = { rps: 2, burst: 0, daily: 100 };
    const first = await limiter.check('key:a', limits);
    const second = await limiter.check('key:a', limits);
    const third = await limiter.check('key:a', limits);
    expect([first.allowed, second.allowed, third.allowed]).toEqual([true, true, false]);
    expect(first.headers).toEqual({ 'RateLimit-Policy': '2;w=1, 100;w=86400', 'RateLimit-Limit': '2', 'RateLimit-Remaining': '1', 'RateLimit-Reset': '1' });
    expect(second.headers['RateLimit-Remaining']).toBe('0');
    expect(third).toMatchObject({ reason: 'rate', retryAfterS: 1, degraded: false });
    expect(third.headers['RateLimit-Remaining']).toBe('0');
    // Another caller has its own counters.
    expect((await limiter.check('key:b', limits)).allowed).toBe(true);
  });

  it('lets a burst through above rps, up to the burst allowance per window', async () => {
    const limiter = createRateLimiter({ burstWindowS: 60 });
    const limits = { rps: 1, burst: 3, daily: 100 };
    const results = [];
    for (let i = 0; i < 6; i++) results.push((await limiter.check('key:burst', limits)).allowed);
    // 1 from the per-second allowance + 3 from the burst allowance, then refused
    // (all six run within far less than the 60 s burst window; at most one second boundary can pass).
    expect(results.slice(0, 4)).toEqual([true, true, true, true]);
    expect(results.filter(Boolean).length).toBeLessThanOrEqual(5);
    expect(results[results.length - 1]).toBe(false);
    const refused = await limiter.check('key:burst', limits);
    expect(refused.headers['RateLimit-Policy']).toBe('1;w=1, 3;w=60, 100;w=86400');
  });

  it('enforces the daily quota with a Retry-After of the rest of the window, and reports it when nearest', async () => {
    const limiter = createRateLimiter({ burstWindowS: 10 });
    const limits = { rps: 1000, burst: 0, daily: 3 };
    const first = await limiter.check('jwt:user-1', limits);
    // The daily quota (2 left) is nearer to exhaustion than the per-second one (999 left).
    expect(first.headers).toMatchObject({ 'RateLimit-Limit': '3', 'RateLimit-Remaining': '2' });
    expect(Number(first.headers['RateLimit-Reset'])).toBeGreaterThan(86_000);
    await limiter.check('jwt:user-1', limits);
    await limiter.check('jwt:user-1', limits);
    const over = await limiter.check('jwt:user-1', limits);
    expect(over).toMatchObject({ allowed: false, reason: 'quota' });
    expect(over.retryAfterS).toBeGreaterThan(86_000);
    expect(over.retryAfterS).toBeLessThanOrEqual(86_400);
  });
});
