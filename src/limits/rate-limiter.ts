import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Limits } from '../auth/principal.js';
import type { RedisStore } from './redis-store.js';

/**
 * Per-caller limits: `rps` requests per second, plus up to `burst` extra requests per burst
 * window, plus a quota of `daily` requests per 24-hour window (which starts with the caller's
 * first request in it). Counters live in Redis when a store is given (shared by every replica),
 * else in this process.
 *
 * Redis going away: the limiter falls back to in-process counters for as long as the store is
 * down ("fail open to local limits"). Each replica then enforces the limits on its own, so a
 * caller can get at most replicas × limit during the outage; nobody is refused because of an
 * outage that is not theirs, and nobody is unlimited. The store reports the change (warning).
 */
export interface LimitDecision {
  readonly allowed: boolean;
  /** Why a refused request was refused. */
  readonly reason?: 'rate' | 'quota';
  readonly retryAfterS: number;
  /** RateLimit-Policy / RateLimit-Limit / -Remaining / -Reset (IETF draft, independent fields). */
  readonly headers: Readonly<Record<string, string>>;
  /** True when the decision came from in-process counters because Redis was unavailable. */
  readonly degraded: boolean;
}

export interface RateLimiter {
  check(callerId: string, limits: Limits): Promise<LimitDecision>;
}

export interface RateLimiterOptions {
  readonly burstWindowS: number;
  readonly store?: RedisStore;
  /** Called when a Redis command failed and the in-process counters decided instead. */
  readonly onFallback?: (error: unknown) => void;
}

const DAY_S = 86_400;

interface Window {
  readonly memory: RateLimiterMemory;
  readonly redis?: RateLimiterRedis;
}

type Outcome = { ok: true; res: RateLimiterRes; degraded: boolean } | { ok: false; res: RateLimiterRes; degraded: boolean };

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const windows = new Map<string, Window>();
  const windowFor = (name: string, points: number, duration: number): Window => {
    const id = `${name}:${points}/${duration}`;
    let window = windows.get(id);
    if (!window) {
      const keyPrefix = `mayfly:rl:${id}`;
      window = {
        memory: new RateLimiterMemory({ keyPrefix, points, duration }),
        redis: options.store
          ? new RateLimiterRedis({ storeClient: options.store.client, keyPrefix, points, duration, rejectIfRedisNotReady: true })
          : undefined,
      };
      windows.set(id, window);
    }
    return window;
  };

  const consume = async (window: Window, key: string): Promise<Outcome> => {
    const attempt = async (limiter: RateLimiterAbstract, degraded: boolean): Promise<Outcome> => {
      try {
        return { ok: true, res: await limiter.consume(key), degraded };
      } catch (error) {
        if (error instanceof RateLimiterRes) return { ok: false, res: error, degraded };
        throw error;
      }
    };
    if (window.redis) {
      try {
        return await attempt(window.redis, false);
      } catch (error) {
        options.onFallback?.(error);
      }
    }
    return attempt(window.memory, window.redis !== undefined);
  };

  return {
    async check(callerId: string, limits: Limits): Promise<LimitDecision> {
      const policy = [`${limits.rps};w=1`, ...(limits.burst > 0 ? [`${limits.burst};w=${options.burstWindowS}`] : []), `${limits.daily};w=${DAY_S}`];
      const second = await consume(windowFor('s', limits.rps, 1), callerId);
      let degraded = second.degraded;
      if (!second.ok) {
        const burst = limits.burst > 0 ? await consume(windowFor('b', limits.burst, options.burstWindowS), callerId) : undefined;
        degraded ||= burst?.degraded ?? false;
        if (!burst?.ok) {
          const waitMs = Math.min(second.res.msBeforeNext, burst?.res.msBeforeNext ?? Infinity);
          const retryAfterS = seconds(waitMs);
          return { allowed: false, reason: 'rate', retryAfterS, degraded, headers: headers(policy, limits.rps, 0, retryAfterS) };
        }
      }
      const daily = await consume(windowFor('d', limits.daily, DAY_S), callerId);
      degraded ||= daily.degraded;
      const dailyReset = seconds(daily.res.msBeforeNext);
      if (!daily.ok) {
        return { allowed: false, reason: 'quota', retryAfterS: dailyReset, degraded, headers: headers(policy, limits.daily, 0, dailyReset) };
      }
      // The draft asks for the quota nearest to exhaustion when several apply.
      const secondRemaining = second.ok ? second.res.remainingPoints : 0;
      const shown = daily.res.remainingPoints < secondRemaining
        ? headers(policy, limits.daily, daily.res.remainingPoints, dailyReset)
        : headers(policy, limits.rps, secondRemaining, seconds(second.res.msBeforeNext));
      return { allowed: true, retryAfterS: 0, degraded, headers: shown };
    },
  };
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function headers(policy: readonly string[], limit: number, remaining: number, resetS: number): Record<string, string> {
  return {
    'RateLimit-Policy': policy.join(', '),
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, remaining)),
    'RateLimit-Reset': String(resetS),
  };
}
