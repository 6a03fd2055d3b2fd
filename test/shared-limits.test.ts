import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from './redis-server.js';
import { authHeaders, startTestService, type TestService } from './service.js';

/**
 * Two service replicas with REDIS_URL pointing at one real redis-server: the daily quota is
 * shared; when Redis dies the replicas warn, keep serving under their own in-memory limits, and
 * the metrics show it.
 */
const METRICS_TOKEN = 'metrics-token-0123456789';
let redis: TestRedis;
const replicas: { svc: TestService; logs: Record<string, unknown>[] }[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  for (let i = 0; i < 2; i++) {
    const logs: Record<string, unknown>[] = [];
    const svc = await startTestService({ REDIS_URL: redis.url, DAILY_QUOTA: '4', METRICS_TOKEN, POOL_SIZE: '1' }, {
      logger: pino({ level: 'info' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>); } }),
    });
    replicas.push({ svc, logs });
  }
});
afterAll(async () => {
  for (const r of replicas) await r.svc.close();
  await redis?.kill();
});

/** One point of the caller's limits: a non-multipart POST passes auth and limits, then gets 415. */
const spend = async (replica: number): Promise<Response> =>
  fetch(`${replicas[replica]!.svc.url}/v1/landmarks`, { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'text/plain' }, body: 'x' });

const metric = async (replica: number, series: string): Promise<number> => {
  const text = await (await fetch(`${replicas[replica]!.svc.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1]);
};

const waitFor = async (check: () => boolean | Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 25));
};

describe('REDIS_URL: limits shared by every replica', () => {
  it('one daily quota across two replicas', async () => {
    await waitFor(async () => (await metric(0, 'mayfly_rate_limit_store_up')) === 1 && (await metric(1, 'mayfly_rate_limit_store_up')) === 1);
    expect(await metric(0, 'mayfly_rate_limit_store_up')).toBe(1);
    const statuses = [];
    for (const r of [0, 1, 0, 1, 0]) statuses.push((await spend(r)).status);
    expect(statuses).toEqual([415, 415, 415, 415, 429]);
    const refused = await spend(1);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 'quota_exceeded' });
  });

  it('Redis gone: each replica warns once, then serves under its own in-memory limits (fail open to local limits)', async () => {
    await redis.kill();
    await waitFor(() => replicas.every((r) => r.logs.some((l) => l.level === 40 && String(l.msg).includes('Redis'))));
    for (const { logs } of replicas) {
      const warnings = logs.filter((l) => l.level === 40 && String(l.msg).includes('rate-limit store (Redis) unavailable'));
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings)).not.toContain(redis.url);
    }
    // The shared quota was used up; each replica's own counters start fresh and hold the same limit.
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await spend(0)).status);
    expect(statuses).toEqual([415, 415, 415, 415, 429]);
    expect(await metric(0, 'mayfly_rate_limit_store_up')).toBe(0);
    expect(await metric(0, 'mayfly_rate_limit_fallback_total')).toBeGreaterThanOrEqual(5);
    expect((await spend(1)).status).toBe(415);
  });
});
