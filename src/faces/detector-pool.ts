import { Worker } from 'node:worker_threads';
import { errors } from '../errors.js';
import type { DetectedFace } from './face.js';
import type { BackendInfo, DetectRequest, WorkerMessage, WorkerSettings } from './protocol.js';

/**
 * A fixed pool of inference workers with a bounded FIFO queue. Inference never runs on the
 * event loop. A job waits at most until its deadline; a full queue is refused at once
 * (the caller answers 503 overloaded), never queued without bound.
 */
export interface PoolOptions extends WorkerSettings {
  readonly size: number;
  /** Waiting jobs allowed per worker. */
  readonly queueDepth: number;
}

export interface DetectJob {
  /** Whole-buffer RGB pixels; its ArrayBuffer is transferred to the worker. */
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Epoch ms after which the caller no longer wants the answer. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

export interface PoolStats {
  readonly size: number;
  readonly busy: number;
  readonly queued: number;
  readonly capacity: number;
}

export interface DetectorPool {
  readonly info: BackendInfo;
  detect(job: DetectJob): Promise<DetectedFace[]>;
  stats(): PoolStats;
  close(): Promise<void>;
}

interface Pending {
  readonly job: DetectJob;
  resolve(faces: DetectedFace[]): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  current?: Pending & { id: number };
}

/** Compiled worker: under vitest the source is TypeScript, so tests run the built dist/ copy. */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/src/faces/detect-worker.js', here) : new URL('./detect-worker.js', here);
}

export async function createDetectorPool(options: PoolOptions): Promise<DetectorPool> {
  const settings: WorkerSettings = {
    backend: options.backend, modelDir: options.modelDir, minFaceScore: options.minFaceScore, maxFaces: options.maxFaces,
    ...(options.cascade === undefined ? {} : { cascade: options.cascade }),
    ...(options.closeUpSsdSize === undefined ? {} : { closeUpSsdSize: options.closeUpSsdSize }),
  };
  const capacity = options.size * options.queueDepth;
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;
  let info: BackendInfo | undefined;

  const settle = (pending: Pending, error: Error | undefined, faces?: DetectedFace[]): void => {
    if (pending.timer) clearTimeout(pending.timer);
    if (pending.onAbort) pending.job.signal?.removeEventListener('abort', pending.onAbort);
    if (error) pending.reject(error);
    else pending.resolve(faces ?? []);
  };

  const dispatch = (): void => {
    for (const slot of slots) {
      if (slot.current || queue.length === 0) continue;
      const pending = queue.shift()!;
      const id = nextId++;
      slot.current = { ...pending, id };
      const { pixels, width, height } = pending.job;
      const request: DetectRequest = { type: 'detect', id, pixels: pixels.buffer as ArrayBuffer, width, height };
      slot.worker.postMessage(request, [request.pixels]);
    }
  };

  const spawn = (): Promise<Slot> => new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl(), { workerData: settings });
    const slot: Slot = { worker };
    let ready = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        ready = true;
        info = message.info;
        resolve(slot);
      } else if (message.type === 'fatal') {
        reject(new Error(message.message));
      } else if (slot.current && message.id === slot.current.id) {
        const current = slot.current;
        slot.current = undefined;
        if (message.type === 'result') settle(current, undefined, message.faces);
        else settle(current, new Error(`face detection failed: ${message.message}`));
        dispatch();
      }
    });
    worker.on('error', (error) => {
      if (!ready) reject(error);
    });
    worker.on('exit', (code) => {
      if (!ready) {
        reject(new Error(`detect worker exited with code ${code} while loading`));
        return;
      }
      const lost = slot.current;
      slot.current = undefined;
      if (lost) settle(lost, new Error(`detect worker exited with code ${code}`));
      const index = slots.indexOf(slot);
      if (index >= 0) slots.splice(index, 1);
      // A crashed worker is replaced so the pool keeps its size; a closing pool lets it go.
      if (!closed) {
        spawn().then((replacement) => { slots.push(replacement); dispatch(); }, () => undefined);
      }
    });
  });

  const started = await Promise.allSettled(Array.from({ length: options.size }, spawn));
  for (const result of started) if (result.status === 'fulfilled') slots.push(result.value);
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure || !info) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw failure?.reason instanceof Error ? failure.reason : new Error('no detect worker started');
  }
  const backendInfo = info;

  return {
    info: backendInfo,

    detect(job: DetectJob): Promise<DetectedFace[]> {
      if (closed) return Promise.reject(errors.notReady());
      if (job.pixels.byteOffset !== 0 || job.pixels.byteLength !== job.pixels.buffer.byteLength) {
        return Promise.reject(new Error('detect: pixels must span their whole ArrayBuffer (it is transferred)'));
      }
      const idle = slots.some((s) => !s.current);
      if (!idle && queue.length >= capacity) return Promise.reject(errors.overloaded(1));
      return new Promise<DetectedFace[]>((resolve, reject) => {
        const pending: Pending = { job, resolve, reject };
        const drop = (error: Error): void => {
          const index = queue.indexOf(pending);
          if (index >= 0) queue.splice(index, 1);
          // A job still running in a worker finishes there; its answer is then ignored.
          for (const slot of slots) if (slot.current?.job === job) slot.current = { ...slot.current, resolve: () => {}, reject: () => {} };
          // Once dispatched, the pixels were transferred (detached here; the worker zeroes them).
          if (job.pixels.byteLength > 0) job.pixels.fill(0);
          settle(pending, error);
        };
        pending.timer = setTimeout(() => drop(errors.timeout()), Math.max(0, job.deadline - Date.now()));
        if (job.signal) {
          pending.onAbort = () => drop(errors.timeout());
          job.signal.addEventListener('abort', pending.onAbort, { once: true });
        }
        queue.push(pending);
        dispatch();
      });
    },

    stats(): PoolStats {
      return { size: slots.length, busy: slots.filter((s) => s.current).length, queued: queue.length, capacity };
    },

    async close(): Promise<void> {
      closed = true;
      for (const pending of queue.splice(0)) {
        pending.job.pixels.fill(0);
        settle(pending, errors.notReady());
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
