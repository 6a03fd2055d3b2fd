import { describe, expect, it } from 'vitest';
import { configurationError, EARLY_ANSWERS, EarlyStop } from './early-stop.js';
import type { Sample } from './stats.js';

const answer = (status: number, error?: string): Sample => ({ start: 0, latencyMs: 5, status, ...(error ? { error } : {}) });

describe('early stop on a configuration error', () => {
  it('names 401, 403, 404, connection refused and an unknown host; not 400, 503 or a timeout', () => {
    expect(configurationError(answer(401))).toMatch(/--key/);
    expect(configurationError(answer(403))).toMatch(/scope/);
    expect(configurationError(answer(404))).toMatch(/--endpoint/);
    expect(configurationError(answer(0, 'ECONNREFUSED'))).toMatch(/nothing listens/);
    expect(configurationError(answer(0, 'ENOTFOUND'))).toMatch(/unknown host/);
    for (const s of [answer(200), answer(400), answer(413), answer(503), answer(0, 'UND_ERR_HEADERS_TIMEOUT')]) {
      expect(configurationError(s)).toBeUndefined();
    }
  });

  it(`stops once the first ${EARLY_ANSWERS} answers are all configuration errors`, () => {
    const early = new EarlyStop();
    for (let i = 1; i < EARLY_ANSWERS; i++) expect(early.observe(answer(401))).toBeUndefined();
    expect(early.observe(answer(404))).toBe('401 Unauthorized: check --key; 404 Not Found: check --url and --endpoint');
    expect(early.observe(answer(200))).toBeDefined();
  });

  it('never stops a run whose first answers include a real one', () => {
    const early = new EarlyStop();
    expect(early.observe(answer(401))).toBeUndefined();
    expect(early.observe(answer(503))).toBeUndefined();
    for (let i = 0; i < 10; i++) expect(early.observe(answer(401))).toBeUndefined();
    expect(early.reason).toBeUndefined();
  });
});
