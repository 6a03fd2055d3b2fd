import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WipeLedger } from '../privacy/wipe-ledger.js';
import { createCapacity } from './capacity.js';
import type { ServiceState } from './service-state.js';

function setup(options: { maxInFlight?: number; maxConcurrentUploads?: number; maxUploadsPerClient?: number } = {}) {
  const registry = new Registry();
  const state: ServiceState = { phase: 'ready' };
  let stats = { size: 2, busy: 1, queued: 3 };
  const capacity = createCapacity({
    maxInFlight: options.maxInFlight ?? 2,
    maxConcurrentUploads: options.maxConcurrentUploads ?? 2,
    maxUploadsPerClient: options.maxUploadsPerClient ?? 2,
    memoryBudgetBytes: 1000,
    maxDecodeBytes: 600,
    retryAfterMaxS: 10,
    state,
    registry,
    detectorStats: () => stats,
  });
  const gauge = async (name: string): Promise<number> => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    if (!metric) throw new Error(`no metric ${name}`);
    return (metric as { values: { value: number }[] }).values[0]!.value;
  };
  return { capacity, state, gauge, setStats: (s: typeof stats) => { stats = s; } };
}

describe('capacity: the one owner of load', () => {
  it('each gauge counts what its help text says, and only that', async () => {
    const { capacity, gauge } = setup();
    const open = capacity.enter();
    expect([await gauge('mayfly_requests_open'), await gauge('mayfly_uploads_in_progress'), await gauge('mayfly_in_flight_requests')])
      .toEqual([1, 0, 0]);
    const upload = capacity.takeUploadSlot('a');
    expect([await gauge('mayfly_requests_open'), await gauge('mayfly_uploads_in_progress'), await gauge('mayfly_in_flight_requests')])
      .toEqual([1, 1, 0]);
    upload();
    const work = capacity.admit();
    expect([await gauge('mayfly_requests_open'), await gauge('mayfly_uploads_in_progress'), await gauge('mayfly_in_flight_requests')])
      .toEqual([1, 0, 1]);
    work();
    open();
    expect([await gauge('mayfly_requests_open'), await gauge('mayfly_uploads_in_progress'), await gauge('mayfly_in_flight_requests')])
      .toEqual([0, 0, 0]);
  });

  it('the detector gauges read the pool', async () => {
    const { gauge, setStats } = setup();
    setStats({ size: 4, busy: 3, queued: 5 });
    expect(await gauge('mayfly_detector_workers')).toBe(4);
    expect(await gauge('mayfly_detector_workers_busy')).toBe(3);
    expect(await gauge('mayfly_detector_queue_depth')).toBe(5);
    expect(await gauge('mayfly_detector_utilisation_ratio')).toBeCloseTo(0.75);
  });

  it('refuses past MAX_IN_FLIGHT and MAX_CONCURRENT_UPLOADS with 503 overloaded, and a release frees the slot once', () => {
    const { capacity } = setup({ maxInFlight: 1, maxConcurrentUploads: 1 });
    const work = capacity.admit();
    expect(() => capacity.checkRoom()).toThrow(expect.objectContaining({ code: 'overloaded', status: 503 }));
    expect(() => capacity.admit()).toThrow(expect.objectContaining({ code: 'overloaded' }));
    work();
    work();
    expect(capacity.counts().processing).toBe(0);
    expect(() => capacity.checkRoom()).not.toThrow();
    const upload = capacity.takeUploadSlot('a');
    try {
      capacity.takeUploadSlot('a');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'overloaded', headers: { 'Retry-After': expect.stringMatching(/^\d+$/) } });
    }
    upload();
    capacity.takeUploadSlot('a')();
  });

  it('caps the uploads of one client address, leaving the other slots to everyone else', () => {
    const { capacity } = setup({ maxConcurrentUploads: 4, maxUploadsPerClient: 2 });
    const first = capacity.takeUploadSlot('10.0.0.1');
    capacity.takeUploadSlot('10.0.0.1');
    expect(() => capacity.takeUploadSlot('10.0.0.1')).toThrow(expect.objectContaining({ code: 'too_many_uploads', status: 429 }));
    capacity.takeUploadSlot('10.0.0.2');
    capacity.takeUploadSlot('10.0.0.3');
    expect(() => capacity.takeUploadSlot('10.0.0.4')).toThrow(expect.objectContaining({ code: 'overloaded' }));
    first();
    expect(() => capacity.takeUploadSlot('10.0.0.1')).not.toThrow();
  });

  it('holds decode memory against the budget: 413 beyond what one request may use, 503 when it does not fit now', async () => {
    const { capacity, gauge } = setup();
    const first = capacity.holdMemory(500);
    expect(await gauge('mayfly_memory_budget_held_bytes')).toBe(500);
    expect(() => capacity.holdMemory(601)).toThrow(expect.objectContaining({ code: 'image_too_large', status: 413 }));
    expect(() => capacity.holdMemory(501)).toThrow(expect.objectContaining({ code: 'overloaded', status: 503 }));
    const second = capacity.holdMemory(500);
    first();
    first();
    expect(capacity.counts().memoryBytes).toBe(500);
    second();
    expect(await gauge('mayfly_memory_budget_held_bytes')).toBe(0);
  });

  it('refuses new requests while stopping; idle() resolves when the last open one ends', async () => {
    const { capacity, state } = setup();
    const first = capacity.enter();
    state.phase = 'stopping';
    expect(() => capacity.enter()).toThrow(expect.objectContaining({ code: 'shutting_down' }));
    let idle = false;
    const waiting = capacity.idle().then(() => { idle = true; });
    await Promise.resolve();
    expect(idle).toBe(false);
    first();
    await waiting;
    expect(idle).toBe(true);
  });

  it('counts ledgers opened and not yet wiped', () => {
    const { capacity } = setup();
    const a = new WipeLedger(capacity.ledgerObserver);
    const b = new WipeLedger(capacity.ledgerObserver);
    expect(capacity.counts().openLedgers).toBe(2);
    a.wipeAll();
    b.wipeAll();
    b.wipeAll();
    expect(capacity.counts().openLedgers).toBe(0);
  });
});
