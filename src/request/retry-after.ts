/**
 * The Retry-After of a 503 `overloaded`, from what the service sees (Little's law). Clients that
 * were told to wait T seconds and are refused r times a second are about N = r·T waiting; slots
 * free up μ times a second; asking them back in N / μ seconds spreads their retries over the
 * time the service needs to serve each of them once, so they come back about as fast as slots
 * free up. Over a sliding window N / μ = (sum of the T told) / (slots freed).
 *
 * Why not a fixed 1 s: 64 clients waiting on 6 slots then knocked about 50 times a second, and
 * each knock (a connection, auth, a log line) took CPU from the saturated workers.
 */
export interface RetryAdvice {
  /** Records a refusal and returns the seconds to put in its Retry-After (1 … maxSeconds). */
  refused(): number;
  /** Records that an admitted request ended and its slot is free again. */
  released(): void;
}

export interface RetryAdviceOptions {
  readonly maxSeconds: number;
  /** How far back refusals and releases count. */
  readonly windowMs?: number;
  readonly now?: () => number;
}

const BUCKETS = 10;

export function retryAdvice(options: RetryAdviceOptions): RetryAdvice {
  const now = options.now ?? ((): number => performance.now());
  const bucketMs = (options.windowMs ?? 10_000) / BUCKETS;
  const toldSeconds = new Float64Array(BUCKETS);
  const freed = new Float64Array(BUCKETS);
  let current = Math.floor(now() / bucketMs);

  /** Moves the window to now, clearing the buckets that fell out of it. */
  const advance = (): number => {
    const bucket = Math.floor(now() / bucketMs);
    for (let b = Math.max(current + 1, bucket - BUCKETS + 1); b <= bucket; b++) {
      toldSeconds[b % BUCKETS] = 0;
      freed[b % BUCKETS] = 0;
    }
    current = Math.max(current, bucket);
    return current % BUCKETS;
  };
  const sum = (a: Float64Array): number => a.reduce((s, v) => s + v, 0);

  return {
    refused() {
      const slot = advance();
      const told = sum(toldSeconds);
      const released = sum(freed);
      // Nothing freed in the window: no rate to go by (start-up burst), so the shortest wait.
      const seconds = released === 0 ? 1 : Math.min(options.maxSeconds, Math.max(1, Math.ceil(told / released)));
      toldSeconds[slot] = toldSeconds[slot]! + seconds;
      return seconds;
    },
    released() {
      const slot = advance();
      freed[slot] = freed[slot]! + 1;
    },
  };
}
