import { createRequire } from 'node:module';
import type { DetectedFace, Point } from './face.js';
import type { BackendInfo, WorkerSettings } from './protocol.js';
import { installLeanSsd, type SsdNet } from './ssd-lean.js';
import { wipeWasmTensorsOnDispose } from './wasm-heap-wipe.js';

/**
 * One face-api model set (SSD MobileNet v1 detector + 68-point landmark net) on one tfjs backend.
 * Used inside each detect worker, and in-process by the benchmark's floor measurement.
 * Every tensor is disposed; on wasm, disposed tensors are zeroed in the heap first.
 */
export interface FaceModel {
  readonly info: BackendInfo;
  /** Detects faces in RGB `pixels`, then zeroes `pixels` (it is the caller's copy of a photo). */
  detect(pixels: Uint8Array, width: number, height: number): Promise<DetectedFace[]>;
}

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
type Tfjs = typeof import('@tensorflow/tfjs');

const require = createRequire(import.meta.url);

/** tensorflow: tfjs-node, which registers the 'tensorflow' backend; only ever on explicit request. */
function loadNativeBackend(choice: WorkerSettings['backend']): boolean {
  if (choice === 'wasm') return false;
  try {
    require('@tensorflow/tfjs-node');
    return true;
  } catch (error) {
    throw new Error(`TFJS_BACKEND=tensorflow but @tensorflow/tfjs-node did not load: ${(error as Error).message}`);
  }
}

export async function loadFaceModel(settings: WorkerSettings): Promise<FaceModel> {
  const native = loadNativeBackend(settings.backend);
  // face-api's node-wasm build shares @tensorflow/tfjs with tfjs-node, so one tfjs-core serves both.
  const tf = require('@tensorflow/tfjs') as Tfjs;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;

  if (native) {
    await tf.setBackend('tensorflow');
  } else {
    // Local .wasm files from the package; never a CDN. Threads stay off: the pool is the parallelism.
    const wasmDir = `${require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]+$/, '')}`;
    wasm.setWasmPaths(wasmDir);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await tf.setBackend('wasm');
  }
  await tf.ready();
  if (!native) wipeWasmTensorsOnDispose(tf.backend());

  await faceapi.nets.ssdMobilenetv1.loadFromDisk(settings.modelDir);
  installLeanSsd(faceapi.nets.ssdMobilenetv1 as unknown as SsdNet, tf);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(settings.modelDir);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: settings.minFaceScore, maxResults: settings.maxFaces });

  const info: BackendInfo = {
    backend: tf.getBackend(),
    tfjs: tf.version_core,
    faceApi: faceapi.version,
    simd: !native && tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
  };

  async function detect(pixels: Uint8Array, width: number, height: number): Promise<DetectedFace[]> {
    // An owned int32 copy goes into the tensor (tfjs would otherwise make its own, unwipeable copy).
    // It is padded to a square with zeros at the bottom/right, exactly as face-api pads before
    // SSD's resize to 512 (so coordinates are unchanged): a 512 px working image then reaches
    // the net with no resize, and every request has the same tensor shapes, which keeps the
    // wasm heap at its first-request size instead of growing with each new aspect ratio.
    const side = Math.max(width, height);
    const ints = new Int32Array(side * side * 3);
    const row = width * 3;
    for (let y = 0; y < height; y++) {
      const from = y * row;
      const to = y * side * 3;
      for (let i = 0; i < row; i++) ints[to + i] = pixels[from + i] ?? 0;
    }
    pixels.fill(0);
    const input = tf.tensor3d(ints, [side, side, 3], 'int32');
    ints.fill(0);
    try {
      const results = await faceapi.detectAllFaces(input, options).withFaceLandmarks();
      return results.map((r) => ({
        box: { x: r.detection.box.x, y: r.detection.box.y, width: r.detection.box.width, height: r.detection.box.height },
        score: r.detection.score,
        landmarks: r.landmarks.positions.map((p): Point => [p.x, p.y]),
      }));
    } finally {
      input.dispose();
    }
  }

  // Warm-up: compile every kernel of both nets before the first real request arrives.
  // At SSD's own input size (512), so the wasm heap grows once to the size real requests need.
  const warm = new Uint8Array(512 * 384 * 3).map((_, i) => (i * 37) % 251);
  await detect(warm, 512, 384);
  const face = tf.zeros([112, 112, 3], 'int32') as import('@tensorflow/tfjs').Tensor3D;
  const landmarks = await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
  face.dispose();
  void landmarks;

  return { info, detect };
}
