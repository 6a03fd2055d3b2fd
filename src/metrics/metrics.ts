import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StageObserver } from '../pipeline/run.js';

/**
 * Prometheus metrics of one service instance (own registry, so tests can run several services
 * in one process). Labels are bounded: route templates, status codes, error codes, stage names.
 * No key ids, no client addresses, nothing about an image.
 */
/* Gauges of load (requests open, uploads, in flight, the detector pool) are registered by
 * request/capacity.ts, the one owner of those counts. */
export interface Metrics {
  readonly registry: Registry;
  readonly stageObserver: StageObserver;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  observeRejection(code: string): void;
  rateLimitFallback(): void;
  setRateLimitStoreUp(up: boolean): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mayfly_' });

  const requests = new Counter({
    name: 'mayfly_http_requests_total', help: 'HTTP requests answered, by route template, method and status.',
    labelNames: ['route', 'method', 'status'], registers: [registry],
  });
  const duration = new Histogram({
    name: 'mayfly_http_request_duration_seconds', help: 'Time from request to answer, by route template.',
    labelNames: ['route'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16], registers: [registry],
  });
  const stages = new Histogram({
    name: 'mayfly_stage_duration_seconds', help: 'Time per pipeline stage (decode, detect, composite, encode).',
    labelNames: ['stage'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8], registers: [registry],
  });
  const rejections = new Counter({
    name: 'mayfly_rejections_total', help: 'Requests answered with a problem, by error code.',
    labelNames: ['code'], registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'mayfly_rate_limit_fallback_total', help: 'Rate-limit decisions made in memory because Redis was unavailable.',
    registers: [registry],
  });
  const storeUp = new Gauge({
    name: 'mayfly_rate_limit_store_up', help: '1 when the shared (Redis) rate-limit store is reachable, 0 when not.',
    registers: [registry],
  });

  return {
    registry,
    stageObserver: { onStage: (name, ms) => stages.observe({ stage: name }, ms / 1000) },
    observeRequest(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      duration.observe({ route }, seconds);
    },
    observeRejection: (code) => rejections.inc({ code }),
    rateLimitFallback: () => fallbacks.inc(),
    setRateLimitStoreUp: (up) => storeUp.set(up ? 1 : 0),
  };
}
