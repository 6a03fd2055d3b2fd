import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { loadBlazeFace, type GateFace } from './blazeface.js';
import {
  eyeLineDegrees, GATE_CANDIDATE_SCORE, isCloseUp, missedByDetector, RESCUE_MIN_SCORE, ROLL_CORRECTION_DEG, ROLL_RECHECK_DEG, rotatePoint,
  ssdBoxFromLandmarks, unturnBox, unturnPoint, type QuarterTurn,
} from './cascade.js';
import type { Box, DetectedFace, Point } from './face.js';
import { estimatePose } from './pose.js';
import { faceQuality } from './quality.js';
import type { BackendInfo, WorkerSettings } from './protocol.js';
import { installLeanSsd, SSD_TRAINED_SIZE, type SsdNet } from './ssd-lean.js';
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

/** The vendored BlazeFace short-range model (models/blazeface/README.md). */
export const BLAZEFACE_DIR = join(PACKAGE_ROOT, 'models', 'blazeface');

/** auto: tfjs-node when it loads (it registers the 'tensorflow' backend), else wasm with SIMD. */
function loadNativeBackend(choice: WorkerSettings['backend']): boolean {
  if (choice === 'wasm') return false;
  try {
    require('@tensorflow/tfjs-node');
    return true;
  } catch (error) {
    if (choice === 'tensorflow') {
      throw new Error(`TFJS_BACKEND=tensorflow but @tensorflow/tfjs-node did not load: ${(error as Error).message}`);
    }
    return false;
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
  const ssd = installLeanSsd(faceapi.nets.ssdMobilenetv1 as unknown as SsdNet, tf);
  const cascade = settings.cascade ?? true;
  const closeUpSize = settings.closeUpSsdSize ?? 320;
  await faceapi.nets.faceLandmark68Net.loadFromDisk(settings.modelDir);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: settings.minFaceScore, maxResults: settings.maxFaces });

  const info: BackendInfo = {
    backend: tf.getBackend(),
    tfjs: tf.version_core,
    faceApi: faceapi.version,
    simd: !native && tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
  };

  const blaze = cascade ? await loadBlazeFace(tf, BLAZEFACE_DIR) : undefined;
  type T3 = import('@tensorflow/tfjs').Tensor3D;
  type Detection = InstanceType<FaceApi['FaceDetection']>;
  const toPoints = (positions: readonly { x: number; y: number }[]): Point[] => positions.map((p): Point => [p.x, p.y]);

  /** face-api's own landmark step (withFaceLandmarks): crop on the box, 68 points, shifted back. */
  async function landmarksOn(input: T3, boxes: readonly (Detection | Box)[]): Promise<Point[][]> {
    const rects = boxes.map((b) => ('box' in b ? b : new faceapi.Rect(b.x, b.y, b.width, b.height)));
    const crops = await faceapi.extractFaceTensors(input as never, rects) as unknown as T3[];
    try {
      const out: Point[][] = [];
      for (let i = 0; i < crops.length; i++) {
        const marks = await faceapi.nets.faceLandmark68Net.detectLandmarks(crops[i]!) as InstanceType<FaceApi['FaceLandmarks68']>;
        const box = 'box' in boxes[i]! ? (boxes[i] as Detection).box : boxes[i] as Box;
        out.push(toPoints(marks.shiftBy(box.x, box.y).positions));
      }
      return out;
    } finally {
      tf.dispose(crops);
    }
  }

  /**
   * Landmarks again on a crop turned upright (the net was trained on upright faces): the crop is
   * the SSD-shaped box of the upright face, sampled at most 224 px wide, and the points are mapped back.
   */
  async function uprightLandmarks(input: T3, first: readonly Point[], roll: number): Promise<Point[]> {
    const n = first.length;
    const pivot: Point = [first.reduce((s, p) => s + p[0], 0) / n, first.reduce((s, p) => s + p[1], 0) / n];
    const box = ssdBoxFromLandmarks(first.map((p) => rotatePoint(p, pivot, -roll)));
    const centre = rotatePoint([box.x + box.width / 2, box.y + box.height / 2], pivot, roll);
    const k = Math.max(1, box.width / 224);
    const cw = Math.max(8, Math.round(box.width / k));
    const ch = Math.max(8, Math.round(box.height / k));
    const a = (roll * Math.PI) / 180;
    const [c, s] = [Math.cos(a) * k, Math.sin(a) * k];
    // Continuous crop point q → image point centre + R·(q − crop centre); tf's transform works on pixel indices (−0.5).
    const toImage = ([qx, qy]: Point): Point => [centre[0] + c * (qx - cw / 2) - s * (qy - ch / 2), centre[1] + s * (qx - cw / 2) + c * (qy - ch / 2)];
    const [ox, oy] = toImage([0.5, 0.5]);
    const crop = tf.tidy(() => {
      const image = tf.expandDims(tf.cast(input, 'float32'), 0) as import('@tensorflow/tfjs').Tensor4D;
      const transform = tf.tensor2d([[c, -s, ox - 0.5, s, c, oy - 0.5, 0, 0]]);
      return tf.squeeze(tf.image.transform(image, transform, 'bilinear', 'constant', 0, [ch, cw]), [0]) as T3;
    });
    try {
      const marks = await faceapi.nets.faceLandmark68Net.detectLandmarks(crop) as InstanceType<FaceApi['FaceLandmarks68']>;
      return toPoints(marks.positions).map(toImage);
    } finally {
      crop.dispose();
    }
  }

  interface Found { box: Box; score: number; landmarks: Point[] }

  /** One pass of the cascade over a square image. */
  async function cascadePass(input: T3, side: number, gate: readonly GateFace[] | undefined): Promise<Found[]> {
    // Only close-ups get the upright landmark pass: on small faces (group photos) it moved the
    // points away from the full-resolution reference more often than towards it.
    const closeUp = !!gate && isCloseUp(gate);
    ssd.setInputSize(closeUp ? closeUpSize : SSD_TRAINED_SIZE);
    const detections = await faceapi.detectAllFaces(input, options);
    ssd.setInputSize(SSD_TRAINED_SIZE);
    const rescued = gate ? missedByDetector(gate, detections.map((d) => d.box), side) : [];
    const marks = await landmarksOn(input, [...detections, ...rescued.map((r) => r.box)]);
    const found: Found[] = [];
    for (let i = 0; i < marks.length; i++) {
      let landmarks = marks[i]!;
      if (closeUp && settings.rollCorrection !== false) {
        // Twice at most: a tilted face's first landmarks misjudge its tilt; the second estimate is better.
        let roll = eyeLineDegrees(landmarks);
        if (Math.abs(roll) > ROLL_CORRECTION_DEG) {
          landmarks = await uprightLandmarks(input, landmarks, roll);
          const again = eyeLineDegrees(landmarks);
          if (Math.abs(again - roll) > ROLL_RECHECK_DEG) {
            roll = again;
            landmarks = await uprightLandmarks(input, landmarks, roll);
          }
        }
      }
      if (i < detections.length) {
        const { box, score } = detections[i]!;
        found.push({ box: { x: box.x, y: box.y, width: box.width, height: box.height }, score, landmarks });
      } else {
        // A rescued face: its box is SSD's shape around its landmarks, its score the gate's.
        found.push({ box: ssdBoxFromLandmarks(landmarks), score: rescued[i - detections.length]!.score, landmarks });
      }
    }
    return found.slice(0, settings.maxFaces);
  }

  function turned(input: T3, turn: QuarterTurn): T3 {
    return tf.tidy(() => {
      const t = tf.transpose(input, [1, 0, 2]);
      return (turn === 90 ? tf.reverse(t, 1) : tf.reverse(t, 0)) as T3;
    });
  }

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
    const input = tf.tensor3d(ints, [side, side, 3], 'int32');
    ints.fill(0);
    try {
      let turn: QuarterTurn = 0;
      let found = await cascadePass(input, side, blaze ? await blaze.detect(input, GATE_CANDIDATE_SCORE) : undefined);
      // Nothing at all: the photo may be sideways with its EXIF orientation stripped. The gate
      // alone looks at the two quarter turns; the full cascade runs only on one where it sees a face.
      for (const t of blaze && found.length === 0 ? [90, 270] as const : []) {
        const image = turned(input, t);
        try {
          const gate = await blaze!.detect(image, GATE_CANDIDATE_SCORE);
          if (!gate.some((g) => g.score >= RESCUE_MIN_SCORE)) continue;
          found = (await cascadePass(image, side, gate)).map((f) => ({
            ...f, box: unturnBox(f.box, t, side), landmarks: f.landmarks.map((p) => unturnPoint(p, t, side)),
          }));
        } finally {
          image.dispose();
        }
        if (found.length > 0) {
          turn = t;
          break;
        }
      }
      return found.map((f): DetectedFace => ({
        box: f.box,
        score: f.score,
        landmarks: f.landmarks,
        ...(blaze ? { pose: estimatePose(f.landmarks), quality: faceQuality(pixels, width, height, f.box) } : {}),
        ...(turn !== 0 ? { rotation: turn } : {}),
      }));
    } finally {
      pixels.fill(0);
      input.dispose();
    }
  }

  // Warm-up: compile every kernel of every net (both SSD sizes, the turn and the upright crop)
  // before the first real request arrives, at SSD's own input size (512), so the wasm heap grows
  // once to the size real requests need.
  const warm = new Uint8Array(512 * 384 * 3).map((_, i) => (i * 37) % 251);
  await detect(warm, 512, 384);
  const face = tf.zeros([112, 112, 3], 'int32') as import('@tensorflow/tfjs').Tensor3D;
  const landmarks = await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
  if (blaze) {
    ssd.setInputSize(closeUpSize);
    await faceapi.detectAllFaces(face, options);
    ssd.setInputSize(SSD_TRAINED_SIZE);
    const image = turned(face, 90);
    await uprightLandmarks(image, Array.from({ length: 68 }, (_, i): Point => [20 + (i % 9) * 8, 20 + Math.floor(i / 9) * 8]), 20);
    image.dispose();
  }
  face.dispose();
  void landmarks;

  return { info, detect };
}
