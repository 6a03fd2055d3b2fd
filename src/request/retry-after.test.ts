import { describe, expect, it } from 'vitest';
import { retryAdvice } from './retry-after.js';

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/**
 * `clients` closed-loop clients that honour Retry-After against a service that frees a slot
 * every `slotMs`; a client that gets a slot keeps it until the next release. Steps of 10 ms.
 */
function simulate(clients: number, slotMs: number, seconds: number, maxSeconds = 60) {
  const time = clock();
  const advice = retryAdvice({ maxSeconds, now: time.now });
  const nextTry = Array.from({ length: clients }, (_, i) => i); // staggered start, ms
  let free = 0;
  let refusals = 0;
  let served = 0;
  let lastAdvice = 1;
  const measureFrom = (seconds / 2) * 1000;
  for (let t = 0; t < seconds * 1000; t += 10, time.advance(10)) {
    if (t % slotMs === 0 && t > 0) {
      free++;
      advice.released();
    }
    for (let c = 0; c < clients; c++) {
      if (nextTry[c]! > t) continue;
      if (free > 0) {
        free--;
        if (t >= measureFrom) served++;
        nextTry[c] = t + slotMs; // busy until its answer, then straight back (closed loop)
      } else {
        lastAdvice = advice.refused();
        if (t >= measureFrom) refusals++;
        nextTry[c] = t + lastAdvice * 1000;
      }
    }
  }
  const measured = seconds / 2;
  return { refusalsPerS: refusals / measured, servedPerS: served / measured, lastAdvice };
}

describe('retryAdvice', () => {
  it('advises 1 s while nothing has been released yet (no rate to go by)', () => {
    const advice = retryAdvice({ maxSeconds: 10, now: clock().now });
    expect(advice.refused()).toBe(1);
    expect(advice.refused()).toBe(1);
  });

  it('spreads 58 waiting clients over the time the service needs to serve them: far fewer refusals, no slot left idle', () => {
    // 5 slots a second (as the bench's 2 workers), 64 clients: 1 s would mean ~58 refusals a second.
    const { refusalsPerS, servedPerS, lastAdvice } = simulate(64, 200, 120);
    expect(lastAdvice).toBeGreaterThanOrEqual(6);
    expect(lastAdvice).toBeLessThanOrEqual(15);
    expect(refusalsPerS).toBeLessThan(15);
    // Every freed slot is taken: the service keeps running at its rate.
    expect(servedPerS).toBeGreaterThanOrEqual(4.9);
  });

  it('stays at 1 s when the clients barely exceed the slots', () => {
    const { lastAdvice, servedPerS } = simulate(3, 500, 60);
    expect(lastAdvice).toBe(1);
    expect(servedPerS).toBeGreaterThanOrEqual(1.9);
  });

  it('never advises more than maxSeconds, however hard clients knock', () => {
    const time = clock();
    const advice = retryAdvice({ maxSeconds: 10, now: time.now });
    advice.released();
    let last = 0;
    for (let i = 0; i < 5000; i++) {
      last = advice.refused();
      time.advance(1);
    }
    expect(last).toBe(10);
  });

  it('forgets refusals and releases older than its window', () => {
    const time = clock();
    const advice = retryAdvice({ maxSeconds: 10, windowMs: 10_000, now: time.now });
    advice.released();
    for (let i = 0; i < 100; i++) advice.refused();
    expect(advice.refused()).toBe(10);
    time.advance(10_001);
    expect(advice.refused()).toBe(1);
  });
});
