import { loadFaceModel } from '../faces/face-model.js';
import type { BackendChoice } from '../faces/protocol.js';
import { decodeToMaxSide } from '../pipeline/decode.js';
import { WipeLedger } from '../privacy/wipe-ledger.js';

/**
 * The floor: the service's own decode (sharp, shrink-on-load to the working size) and its own
 * model (SSD MobileNet v1 + 68 landmarks) run back to back in this process, on one thread,
 * with no HTTP, no worker hand-off and no admission. Its time per image bounds what one
 * worker can ever deliver.
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
  /** Mean milliseconds per image: decode, detect (incl. landmarks), total. */
  readonly decodeMs: number;
  readonly detectMs: number;
  readonly totalMs: number;
  /** CPU time (this process, all threads) per image: robust to other load on the machine. */
  readonly cpuMs: number;
  readonly samples: number;
}

export async function measureFloor(options: FloorOptions): Promise<FloorResult> {
  const model = await loadFaceModel({
    backend: options.backend, modelDir: options.modelDir, minFaceScore: options.minFaceScore, maxFaces: options.maxFaces,
  });
  const limits = { maxInputPixels: 50_000_000 };
  let decodeMs = 0;
  let detectMs = 0;
  let samples = 0;
  let cpuMicros = 0;
  for (let round = -1; round < options.rounds; round++) {
    for (const image of options.images) {
      const ledger = new WipeLedger();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const decoded = await decodeToMaxSide(image, options.detectMaxSide, limits, ledger);
      const t1 = performance.now();
      await model.detect(decoded.pixels, decoded.width, decoded.height);
      const t2 = performance.now();
      const cpu = process.cpuUsage(cpu0);
      ledger.wipeAll();
      if (round < 0) continue;
      cpuMicros += cpu.user + cpu.system;
      decodeMs += t1 - t0;
      detectMs += t2 - t1;
      samples++;
    }
  }
  return {
    backend: model.info.backend,
    simd: model.info.simd,
    decodeMs: decodeMs / samples,
    detectMs: detectMs / samples,
    totalMs: (decodeMs + detectMs) / samples,
    cpuMs: cpuMicros / 1000 / samples,
    samples,
  };
}
