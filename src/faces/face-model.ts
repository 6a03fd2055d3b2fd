import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { BLAZEFACE_SIZE, loadBlazeFace, type GateFace } from './blazeface.js';
import {
  angleDifference, calibratedGateBox, eyeLineDegrees, GATE_CANDIDATE_SCORE, GATE_RECHECK_ZOOM, gateEyeDegrees, gateFaceIn, isCloseUp, isLarge, missedByDetector, RESCUE_MIN_SCORE,
  ROLL_CORRECTION_DEG, ROLL_DISAGREE_DEG, ROLL_RECHECK_DEG, ROLL_RECHECK_MIN_SPAN, ssdBoxFromLandmarks, TURN_MARGIN, unturnBox, unturnPoint, uprightGateBox,
  uprightLandmarkBox, verificationBox, VERIFY_CROPS, VERIFY_MIN_SCORE, VERIFY_SSD_SIZE, type QuarterTurn, type UprightBox,
} from './cascade.js';
import type { Box, DetectedFace, Point } from './face.js';
import { cropImage, paddedImage } from './heap-image.js';
import { installLeanLandmarks, type LandmarkNet } from './landmarks-lean.js';
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
  const ssd = installLeanSsd(faceapi.nets.ssdMobilenetv1 as unknown as SsdNet, tf);
  const cascade = settings.cascade ?? true;
  const closeUpSize = settings.closeUpSsdSize ?? 256;
  await faceapi.nets.faceLandmark68Net.loadFromDisk(settings.modelDir);
  installLeanLandmarks(faceapi.nets.faceLandmark68Net as unknown as LandmarkNet, tf);
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

  /**
   * face-api's own landmark step (withFaceLandmarks): crop on the box, 68 points, shifted back.
   * All faces go through the net as one batch (face-api resizes each crop to 112 px and stacks
   * them): the same points as one call per face, with one dispatch of every layer instead of one
   * per face, which is what keeps group photos at the old build's cost with the gate added.
   */
  async function landmarksOn(input: T3, boxes: readonly (Detection | Box)[]): Promise<Point[][]> {
    if (boxes.length === 0) return [];
    const crops = faceCrops(input, boxes);
    try {
      const batch = await faceapi.nets.faceLandmark68Net.detectLandmarks(crops) as InstanceType<FaceApi['FaceLandmarks68']>[];
      return batch.map((marks, i) => {
        const box = 'box' in boxes[i]! ? (boxes[i] as Detection).box : boxes[i] as Box;
        return toPoints(marks.shiftBy(box.x, box.y).positions);
      });
    } finally {
      tf.dispose(crops);
    }
  }

  /** face-api's extractFaceTensors (each box clipped to the image and floored, then cut), cut by cropImage. */
  function faceCrops(input: T3, boxes: readonly (Detection | Box)[]): T3[] {
    const [height, width] = input.shape;
    // In a tidy, as face-api's own: crops made before one that throws are disposed (and wiped).
    return tf.tidy(() => boxes
      .map((b) => ('box' in b ? b.forSize(width, height).box : new faceapi.Rect(b.x, b.y, b.width, b.height)).clipAtImageBorders(width, height))
      .filter((box) => box.width > 0 && box.height > 0)
      .map((box) => cropImage(tf, input, box)));
  }

  /**
   * Landmarks on a crop turned upright (the net was trained on upright faces): the crop is an
   * SSD-shaped box of the upright face, given by its centre and size in image pixels, sampled at
   * most 224 px wide; the points are mapped back to the image.
   */
  async function landmarksUpright(input: T3, box: UprightBox): Promise<Point[]> {
    const k = Math.max(1, box.width / 224);
    const { crop, toImage } = turnedCrop(input, box, k, Math.max(8, Math.round(box.width / k)), Math.max(8, Math.round(box.height / k)));
    try {
      const marks = await faceapi.nets.faceLandmark68Net.detectLandmarks(crop) as InstanceType<FaceApi['FaceLandmarks68']>;
      return toPoints(marks.positions).map(toImage);
    } finally {
      crop.dispose();
    }
  }

  /**
   * The region `box` (centre, turned by its roll) sampled to cw × ch pixels, `k` image pixels per
   * crop pixel, black outside the image; `toImage` maps a crop point back to the image.
   */
  function turnedCrop(input: T3, box: UprightBox, k: number, cw: number, ch: number): { crop: T3; toImage: (q: Point) => Point } {
    const { centre, roll } = box;
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
    return { crop, toImage };
  }

  /**
   * A close-up face's landmarks, made robust to roll: the tilt comes from the landmarks, or from
   * the gate's eyes when the two disagree (a face the landmark net misread); a tilted face is
   * measured again upright, and once more if that pass finds a different tilt.
   */
  async function rollRobust(input: T3, first: Point[] | undefined, g: GateFace, side: number): Promise<Point[]> {
    const gateRoll = gateEyeDegrees(g);
    let roll = first ? eyeLineDegrees(first) : gateRoll;
    const trustGate = !first || Math.abs(angleDifference(roll, gateRoll)) > ROLL_DISAGREE_DEG;
    if (trustGate) roll = gateRoll;
    if (Math.abs(roll) <= ROLL_CORRECTION_DEG) return first && !trustGate ? first : (await landmarksOn(input, [calibratedGateBox(g, side)]))[0]!;
    let landmarks = await landmarksUpright(input, trustGate ? uprightGateBox(g, side, roll) : uprightLandmarkBox(first!, roll));
    // A second estimate far from the first means the points are unreliable: no further turn on their word.
    const again = eyeLineDegrees(landmarks);
    const change = Math.abs(angleDifference(again, roll));
    if (change > ROLL_RECHECK_DEG && change <= ROLL_DISAGREE_DEG) {
      // The points size the new crop only when they span a face's width; squeezed together (a face
      // the net could not read, as in full profile) they would crop a part of it, so the gate's box turns instead.
      const fromPoints = uprightLandmarkBox(landmarks, again);
      const fromGate = uprightGateBox(g, side, again);
      landmarks = await landmarksUpright(input, fromPoints.width >= ROLL_RECHECK_MIN_SPAN * fromGate.width ? fromPoints : fromGate);
    }
    return landmarks;
  }

  const verifyOptions = new faceapi.SsdMobilenetv1Options({ minConfidence: VERIFY_MIN_SCORE, maxResults: settings.maxFaces });

  /**
   * A weak gate face SSD missed, confirmed when SSD finds a face at its centre on one of the
   * VERIFY_CROPS crops around it (one SSD pass at VERIFY_SSD_SIZE per crop tried). Runs only for
   * such faces, which are rare: photos SSD handles never pay for it.
   */
  async function confirmedBySsd(input: T3, g: GateFace, side: number): Promise<boolean> {
    const mid = VERIFY_SSD_SIZE / 2;
    for (const { zoom, upright } of VERIFY_CROPS) {
      const box = verificationBox(g, side, zoom, upright);
      const { crop } = turnedCrop(input, box, box.width / VERIFY_SSD_SIZE, VERIFY_SSD_SIZE, VERIFY_SSD_SIZE);
      let detections;
      try {
        ssd.setInputSize(VERIFY_SSD_SIZE);
        detections = await faceapi.detectAllFaces(crop, verifyOptions);
      } finally {
        ssd.setInputSize(SSD_TRAINED_SIZE);
        crop.dispose();
      }
      if (detections.some(({ box: b }) => mid >= b.x && mid <= b.x + b.width && mid >= b.y && mid <= b.y + b.height)) return true;
    }
    return false;
  }

  /**
   * A weak gate face SSD missed, confirmed when the gate itself, run again on a crop of
   * GATE_RECHECK_ZOOM gate widths turned upright by the gate's eyes, is sure of a face at the
   * crop's centre (one gate pass on a 128 px crop, a few ms). Runs only for such faces.
   */
  async function confirmedByGate(input: T3, g: GateFace, side: number): Promise<boolean> {
    const box = verificationBox(g, side, GATE_RECHECK_ZOOM, true);
    const { crop } = turnedCrop(input, box, box.width / BLAZEFACE_SIZE, BLAZEFACE_SIZE, BLAZEFACE_SIZE);
    try {
      const faces = await blaze!.detect(crop, RESCUE_MIN_SCORE);
      return faces.some((f) => f.x <= 0.5 && f.x + f.width >= 0.5 && f.y <= 0.5 && f.y + f.height >= 0.5);
    } finally {
      crop.dispose();
    }
  }

  interface Found { box: Box; score: number; landmarks: Point[] }

  /**
   * One pass of the cascade over a square image; `extent` is the part of it (from the top left)
   * that holds the photo, the rest zero padding that SSD then skips (ssdRegion).
   */
  async function cascadePass(input: T3, side: number, gate: readonly GateFace[] | undefined, extent = { width: side, height: side }): Promise<Found[]> {
    const closeUp = !!gate && isCloseUp(gate);
    // Only large faces (by the gate) get the roll-robust landmarks: on small faces (group photos)
    // the upright pass moved the points away from the full-resolution reference more often than towards it.
    const robustFor = (g: GateFace | undefined): g is GateFace => settings.rollCorrection !== false && !!g && isLarge(g);
    // SSD@512 runs on the photo's rectangle only (ssdRegion), where the cascade routes close-ups
    // elsewhere: the coarse maps change with the rectangle, and SSD@512 alone then found 104 of
    // the 199 selfie crops of test/accuracy.test.ts instead of 110, so without the cascade it keeps
    // the square. SSD at the close-up size keeps it too: on the rectangle it lost the small pasted
    // faces of face-model.test.ts, which SSD@256 only just finds and which must send such a photo
    // on to SSD@512.
    const ssd512 = async (): Promise<Detection[]> => {
      ssd.setInputSize(SSD_TRAINED_SIZE);
      if (cascade) ssd.setExtent(extent.height / side, extent.width / side);
      return faceapi.detectAllFaces(input, options);
    };
    let detections;
    try {
      if (closeUp) {
        ssd.setInputSize(closeUpSize);
        detections = await faceapi.detectAllFaces(input, options);
        // A face the small SSD found and the gate did not is a small face: the photo has small faces
        // besides the big one, and the small SSD may have missed others like it, so SSD@512 runs after all.
        if (detections.some((d) => !gateFaceIn(gate, d.box, side))) detections = await ssd512();
      } else {
        detections = await ssd512();
      }
    } finally {
      ssd.setInputSize(SSD_TRAINED_SIZE);
      ssd.setExtent(1, 1);
    }
    const boxes = detections.map((d): Box => ({ x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height }));
    const found: Found[] = [];
    const marks = await landmarksOn(input, detections);
    for (let i = 0; i < detections.length; i++) {
      const g = gate ? gateFaceIn(gate, boxes[i]!, side) : undefined;
      const landmarks = robustFor(g) ? await rollRobust(input, marks[i]!, g, side) : marks[i]!;
      found.push({ box: boxes[i]!, score: detections[i]!.score, landmarks });
    }
    // Faces the gate is sure of (or confirms on an upright crop, or SSD confirms on a crop) and SSD missed: landmarks on the gate's box reshaped to SSD's.
    for (const { box, score, gate: g } of gate ? await missedByDetector(gate, boxes, side, async (m) => await confirmedByGate(input, m, side) || confirmedBySsd(input, m, side)) : []) {
      const landmarks = robustFor(g) ? await rollRobust(input, undefined, g, side) : (await landmarksOn(input, [box]))[0]!;
      found.push({ box: ssdBoxFromLandmarks(landmarks), score, landmarks });
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
    // Padded to a square at the bottom/right, as face-api pads before SSD's resize to 512 (so
    // coordinates are unchanged): a 512 px working image then reaches the net with no resize, and
    // the input tensor has the same shape for every request. SSD@512 then cuts the photo's
    // rectangle from it (ssdRegion), whose shapes vary with the aspect ratio but never exceed the
    // square pass the warm-up sizes the wasm heap for.
    const side = Math.max(width, height);
    const input = paddedImage(tf, pixels, width, height, side);
    try {
      let turn: QuarterTurn = 0;
      const gate = blaze ? await blaze.detect(input, GATE_CANDIDATE_SCORE) : undefined;
      let found = await cascadePass(input, side, gate, { width, height });
      const sureness = Math.max(0, ...(gate ?? []).map((g) => g.score));
      // Nothing at all: the photo may be sideways with its EXIF orientation stripped. The gate
      // alone looks at the two quarter turns; the full cascade runs only on one where it sees a face.
      for (const t of blaze && found.length === 0 ? [90, 270] as const : []) {
        const image = turned(input, t);
        try {
          const turnedGate = await blaze!.detect(image, GATE_CANDIDATE_SCORE);
          const best = Math.max(0, ...turnedGate.map((g) => g.score));
          if (best < RESCUE_MIN_SCORE || best < sureness + TURN_MARGIN) continue;
          // The turn moves the padding to the top or left: SSD runs on the whole square here.
          found = (await cascadePass(image, side, turnedGate)).map((f) => ({
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
        pose: estimatePose(f.landmarks),
        quality: faceQuality(pixels, width, height, f.box),
        ...(turn !== 0 ? { rotation: turn } : {}),
      }));
    } finally {
      pixels.fill(0);
      input.dispose();
    }
  }

  // Warm-up: compile every kernel of every net (both SSD sizes, the turn and the upright crop)
  // before the first real request arrives, on a square photo (SSD's largest pass, 512 × 512),
  // so the wasm heap grows once to the size real requests need.
  const warm = new Uint8Array(512 * 512 * 3).map((_, i) => (i * 37) % 251);
  await detect(warm, 512, 512);
  const face = tf.zeros([112, 112, 3], 'int32') as import('@tensorflow/tfjs').Tensor3D;
  const landmarks = await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
  if (blaze) {
    ssd.setInputSize(closeUpSize);
    await faceapi.detectAllFaces(face, options);
    ssd.setInputSize(SSD_TRAINED_SIZE);
    const image = turned(face, 90);
    await landmarksUpright(image, { centre: [56, 56], width: 80, height: 100, roll: 20 });
    image.dispose();
  }
  face.dispose();
  void landmarks;

  return { info, detect };
}
