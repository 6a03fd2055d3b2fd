import { createDetectorPool } from '../../src/faces/detector-pool.js';
import { loadFaceModel, type FaceModel } from '../../src/faces/face-model.js';
import type { BackendChoice } from '../../src/faces/protocol.js';
import { decodeToMaxSide } from '../../src/imaging/decode.js';
import { runEffect, type EffectParams } from '../../src/pipeline/effect.js';
import { WipeLedger } from '../../src/privacy/wipe-ledger.js';
import type { LoadedDefinition } from '../../src/pipeline/templates/load.js';
import { prepareTemplates } from '../../src/pipeline/templates/registry.js';

/**
 * The floor: the service's own decode (sharp, shrink-on-load to the working size) and its own
 * model (SSD MobileNet v1 + 68 landmarks) run back to back in this process, on one thread,
 * with no HTTP, no worker hand-off and no admission. Its time per image bounds what one
 * worker can ever deliver. The effect floor is the same for an effect: the pipeline's own
 * runEffect (decode at the output size, working copy, detect, composite, encode) with the
 * model called in-process instead of through the pool.
 */
export interface FloorOptions {
  readonly images: readonly Uint8Array[];
  readonly detectMaxSide: number;
  readonly backend: BackendChoice;
  readonly modelDir: string;
  readonly minFaceScore: number;
  readonly maxFaces: number;
  /** Passes over all images after one untimed warm pass. */
  readonly rounds: number;
}

export interface FloorResult {
  readonly backend: string;
  readonly simd: boolean;
  /** Mean milliseconds per image: decode, detect (incl. landmarks, and for an effect composite + encode), total. */
  readonly decodeMs: number;
  readonly detectMs: number;
  readonly totalMs: number;
  /** Mean milliseconds per image in the model (detection + landmarks) alone, also for an effect. */
  readonly inferMs: number;
  /** CPU time (this process, all threads) per image: robust to other load on the machine. */
  readonly cpuMs: number;
  readonly samples: number;
}

export interface EffectFloorOptions {
  readonly template: string;
  readonly definitions: readonly LoadedDefinition[];
  readonly assetRoots: Readonly<Record<string, string>>;
  readonly params: EffectParams;
  readonly effectMinFacePx: number;
  readonly swapMaxYawDegrees: number;
}

const LIMITS = { maxInputPixels: 50_000_000 };

/** Runs `work` on every image, `rounds` times after one untimed pass; `work` returns its decode and model ms. */
async function timed(
  options: FloorOptions, model: FaceModel, work: (image: Uint8Array, ledger: WipeLedger) => Promise<{ decodeMs: number; inferMs: number }>,
): Promise<FloorResult> {
  let decodeMs = 0;
  let inferMs = 0;
  let totalMs = 0;
  let samples = 0;
  let cpuMicros = 0;
  for (let round = -1; round < options.rounds; round++) {
    for (const image of options.images) {
      const ledger = new WipeLedger();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let split: { decodeMs: number; inferMs: number };
      try {
        split = await work(image, ledger);
      } finally {
        ledger.wipeAll(); // also when a photo does not suit the effect and runEffect throws
      }
      const total = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (round < 0) continue;
      cpuMicros += cpu.user + cpu.system;
      decodeMs += split.decodeMs;
      inferMs += split.inferMs;
      totalMs += total;
      samples++;
    }
  }
  return {
    backend: model.info.backend, simd: model.info.simd, samples,
    decodeMs: decodeMs / samples, detectMs: (totalMs - decodeMs) / samples, totalMs: totalMs / samples, inferMs: inferMs / samples, cpuMs: cpuMicros / 1000 / samples,
  };
}

/** One model set for both floors (a second one would only add a wasm heap to the load generator's process). */
let loaded: Promise<FaceModel> | undefined;
function load(options: FloorOptions): Promise<FaceModel> {
  loaded ??= loadFaceModel({ backend: options.backend, modelDir: options.modelDir, minFaceScore: options.minFaceScore, maxFaces: options.maxFaces });
  return loaded;
}

export async function measureFloor(options: FloorOptions): Promise<FloorResult> {
  const model = await load(options);
  return timed(options, model, async (image, ledger) => {
    const t0 = performance.now();
    const decoded = await decodeToMaxSide(image, options.detectMaxSide, LIMITS, ledger);
    const t1 = performance.now();
    await model.detect(decoded.data, decoded.width, decoded.height);
    return { decodeMs: t1 - t0, inferMs: performance.now() - t1 };
  });
}

/** Templates prepared once per set of definitions: the bench measures the effect floor around every level. */
const preparedTemplates = new WeakMap<readonly LoadedDefinition[], ReturnType<typeof prepareTemplates>>();

export async function measureEffectFloor(options: FloorOptions, effect: EffectFloorOptions): Promise<FloorResult> {
  const model = await load(options);
  let prepared = preparedTemplates.get(effect.definitions);
  if (!prepared) {
    prepared = prepareTemplates(effect.definitions, {
      assetRoots: effect.assetRoots,
      detect: (pixels, width, height) => model.detect(pixels, width, height),
      // The service's default budget (TEMPLATE_CACHE_MB).
      cacheBytes: 64 * 1024 * 1024,
    });
    preparedTemplates.set(effect.definitions, prepared);
  }
  const templates = await prepared;
  const template = templates.get(effect.template);
  if (!template) throw new Error(`no template "${effect.template}"`);
  const detector = { detect: (job: { pixels: Uint8Array; width: number; height: number }) => model.detect(job.pixels, job.width, job.height) };
  const signal = new AbortController().signal;
  return timed(options, model, async (image, ledger) => {
    const timings: Record<string, number> = {};
    await runEffect(image, template, effect.params, {
      limits: LIMITS, detectMaxSide: options.detectMaxSide, detector, minFacePx: effect.effectMinFacePx, swapMaxYawDegrees: effect.swapMaxYawDegrees, templates,
      // One request at a time: no budget to share.
    }, { deadline: Date.now() + 60_000, signal, ledger, timings, holdMemory: () => () => undefined });
    // The effect's detect step: the working copy and the model.
    return { decodeMs: timings.decode ?? 0, inferMs: timings.detect ?? 0 };
  });
}

export interface ParallelFloorResult {
  readonly workers: number;
  readonly clients: number;
  /** Images per second through the pool, over `images` timed images. */
  readonly perSecond: number;
  readonly images: number;
}

/**
 * A diagnostic next to the floor: the same decode + detection through the service's own worker
 * pool (`workers` threads), `2 × workers` loops at once, in this process, no HTTP. Over the
 * floor × workers it shows how far this machine's cores scale for this work (shared caches,
 * memory bandwidth, other tenants); the service over it shows what HTTP itself costs.
 */
export async function measureParallelFloor(options: FloorOptions, workers: number): Promise<ParallelFloorResult> {
  const pool = await createDetectorPool({
    backend: options.backend, modelDir: options.modelDir, minFaceScore: options.minFaceScore, maxFaces: options.maxFaces,
    size: workers, queueDepth: 2,
  });
  const clients = 2 * workers;
  // As many images per worker as the one-thread floor ran in all.
  const perClient = Math.max(1, Math.ceil((options.images.length * options.rounds * workers) / clients));
  const run = async (client: number, count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const ledger = new WipeLedger();
      try {
        const decoded = await decodeToMaxSide(options.images[(client + i * clients) % options.images.length]!, options.detectMaxSide, LIMITS, ledger);
        await pool.detect({ pixels: decoded.data, width: decoded.width, height: decoded.height, deadline: Date.now() + 60_000 });
      } finally {
        ledger.wipeAll();
      }
    }
  };
  try {
    // One untimed pass per client, then the timed ones.
    await Promise.all(Array.from({ length: clients }, (_, c) => run(c, 1)));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, (_, c) => run(c, perClient)));
    const seconds = (performance.now() - t0) / 1000;
    return { workers, clients, perSecond: (clients * perClient) / seconds, images: clients * perClient };
  } finally {
    await pool.close();
  }
}
