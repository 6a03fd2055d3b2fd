import { Gauge, type Registry } from 'prom-client';
import { errors, type AppError } from '../errors.js';
import type { LedgerObserver, Wipeable, WipeLedger } from '../privacy/wipe-ledger.js';
import { createMemoryBudget } from './memory-budget.js';
import { retryAdvice } from './retry-after.js';
import type { ServiceState } from './service-state.js';

/**
 * The one owner of load. Every count of work in progress lives here, and so does every decision
 * to refuse work for lack of room:
 *
 *   open        authenticated /v1 requests from admission until their answer ended
 *               (refused with 503 shutting_down once the service is stopping; shutdown waits for 0)
 *   uploads     uploads being received (MAX_CONCURRENT_UPLOADS; MAX_UPLOADS_PER_CLIENT per address)
 *   processing  image requests past the upload stage, until their answer ended (MAX_IN_FLIGHT);
 *               while full, new image requests are refused before their body is read
 *   memory      estimated decode memory held by requests decoding now (MEMORY_BUDGET_MB; one
 *               request at most MAX_DECODE_MB: 413 image_too_large beyond)
 *   detector    the worker pool's own bounded queue (POOL_SIZE × QUEUE_DEPTH), read for the gauges
 *
 * A refusal for lack of room is 503 overloaded with a Retry-After that follows the load
 * (retry-after.ts). Each count is a gauge whose help text says what it counts.
 */
export interface Capacity {
  /** An authenticated /v1 request starts; throws shutting_down while stopping. */
  enter(): Release;
  /** Throws overloaded while MAX_IN_FLIGHT image requests are already past their upload. */
  checkRoom(): void;
  /**
   * An upload slot, held while the body is received: too_many_uploads when `client` (an address)
   * already holds MAX_UPLOADS_PER_CLIENT, overloaded when none of MAX_CONCURRENT_UPLOADS is free.
   */
  takeUploadSlot(client: string): Release;
  /** The request's upload is in memory and its work starts; throws overloaded past MAX_IN_FLIGHT. */
  admit(): Release;
  /**
   * Holds `bytes` of the decode-memory budget: 413 image_too_large when one request may never
   * use that much (MAX_DECODE_MB), 503 overloaded when it does not fit now.
   */
  holdMemory(bytes: number): Release;
  /** Counts the wipe ledgers opened and wiped, for the shutdown report. */
  readonly ledgerObserver: LedgerObserver;
  counts(): CapacityCounts;
  /** Resolves when no /v1 request is open. */
  idle(): Promise<void>;
}

export interface CapacityCounts {
  readonly open: number;
  readonly uploads: number;
  readonly processing: number;
  /** Estimated decode memory held now. */
  readonly memoryBytes: number;
  /** Ledgers opened and not yet wiped. */
  readonly openLedgers: number;
}

/** Gives back what was taken; calling it again does nothing. */
export type Release = () => void;

export interface CapacityOptions {
  readonly maxInFlight: number;
  readonly maxConcurrentUploads: number;
  readonly maxUploadsPerClient: number;
  readonly retryAfterMaxS: number;
  readonly memoryBudgetBytes: number;
  readonly maxDecodeBytes: number;
  readonly state: ServiceState;
  /** Where the gauges are registered. */
  readonly registry: Registry;
  /** The detector pool's occupancy, once it exists. */
  readonly detectorStats: () => { size: number; busy: number; queued: number } | undefined;
  /** Passed on after counting (tests watch the ledgers through it). */
  readonly ledgerObserver?: LedgerObserver;
}

export function createCapacity(options: CapacityOptions): Capacity {
  let open = 0;
  let uploads = 0;
  const uploadsByClient = new Map<string, number>();
  let processing = 0;
  let ledgersOpened = 0;
  let ledgersWiped = 0;
  const waiters: (() => void)[] = [];
  const advice = retryAdvice({ maxSeconds: options.retryAfterMaxS });
  const memory = createMemoryBudget({ budgetBytes: options.memoryBudgetBytes });
  const overloaded = (): AppError => errors.overloaded(advice.refused());
  const once = (fn: () => void): Release => {
    let done = false;
    return () => { if (!done) { done = true; fn(); } };
  };

  const counts = (): CapacityCounts => ({ open, uploads, processing, memoryBytes: memory.inUse(), openLedgers: ledgersOpened - ledgersWiped });
  registerGauges(options, counts);

  return {
    enter() {
      if (options.state.phase === 'stopping') throw errors.shuttingDown();
      open++;
      return once(() => {
        open--;
        if (open === 0) for (const resolve of waiters.splice(0)) resolve();
      });
    },
    checkRoom() {
      if (processing >= options.maxInFlight) throw overloaded();
    },
    takeUploadSlot(client) {
      const held = uploadsByClient.get(client) ?? 0;
      if (held >= options.maxUploadsPerClient) throw errors.tooManyUploads(options.maxUploadsPerClient);
      if (uploads >= options.maxConcurrentUploads) throw overloaded();
      uploads++;
      uploadsByClient.set(client, held + 1);
      return once(() => {
        uploads--;
        const left = (uploadsByClient.get(client) ?? 1) - 1;
        if (left > 0) uploadsByClient.set(client, left);
        else uploadsByClient.delete(client);
      });
    },
    admit() {
      if (processing >= options.maxInFlight) throw overloaded();
      processing++;
      return once(() => {
        processing--;
        advice.released();
      });
    },
    holdMemory(bytes) {
      const limit = Math.min(options.maxDecodeBytes, memory.budgetBytes);
      if (bytes > limit) throw errors.decodeTooCostly(bytes, limit);
      const lease = memory.tryAcquire(bytes);
      if (!lease) throw overloaded();
      return () => lease.release();
    },
    ledgerObserver: {
      onOpened(ledger: WipeLedger) {
        ledgersOpened++;
        options.ledgerObserver?.onOpened?.(ledger);
      },
      onWiped(buffers: readonly Wipeable[], ledger: WipeLedger) {
        ledgersWiped++;
        options.ledgerObserver?.onWiped?.(buffers, ledger);
      },
      onReleased(buffers: readonly Wipeable[], ledger: WipeLedger) {
        options.ledgerObserver?.onReleased?.(buffers, ledger);
      },
    },
    counts,
    idle() {
      if (open === 0) return Promise.resolve();
      return new Promise<void>((resolve) => { waiters.push(resolve); });
    },
  };
}

function registerGauges(options: CapacityOptions, counts: () => CapacityCounts): void {
  const gauge = (name: string, help: string, value: () => number): void => {
    new Gauge({ name, help, registers: [options.registry], collect() { this.set(value()); } });
  };
  gauge('mayfly_requests_open', 'Authenticated /v1 requests admitted and not yet answered (shutdown waits for these).',
    () => counts().open);
  gauge('mayfly_uploads_in_progress', 'Image uploads being received into memory now (bounded by MAX_CONCURRENT_UPLOADS).',
    () => counts().uploads);
  gauge('mayfly_in_flight_requests', 'Image requests past the upload stage, being processed (bounded by MAX_IN_FLIGHT).',
    () => counts().processing);
  gauge('mayfly_memory_budget_held_bytes', 'Memory held against MEMORY_BUDGET_MB: uploads\' owned bytes as they arrive, and the estimated cost of decodes running now.',
    () => counts().memoryBytes);
  gauge('mayfly_detector_queue_depth', 'Detection jobs waiting for a worker.', () => options.detectorStats()?.queued ?? 0);
  gauge('mayfly_detector_workers', 'Detection workers in the pool.', () => options.detectorStats()?.size ?? 0);
  gauge('mayfly_detector_workers_busy', 'Detection workers running a job now.', () => options.detectorStats()?.busy ?? 0);
  gauge('mayfly_detector_utilisation_ratio', 'Busy workers / workers, sampled at scrape time.', () => {
    const s = options.detectorStats();
    return s && s.size > 0 ? s.busy / s.size : 0;
  });
}
