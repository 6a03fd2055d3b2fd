import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';

type Tfjs = typeof import('@tensorflow/tfjs');

/**
 * MediaPipe's BlazeFace short-range ("front") detector, 128 × 128 input, as a cheap gate in front
 * of SSD: it tells close-ups (a few large faces) from everything else in a few milliseconds.
 * Weights: models/blazeface/ (see its README for provenance and licence), read from disk at load.
 *
 * Output decoding follows MediaPipe's face_detection_short_range graph: 896 anchors (16 × 16 × 2 at
 * stride 8, 8 × 8 × 6 at stride 16), fixed anchor size, offsets in input pixels (x, y, w, h first,
 * then six key points), sigmoid scores.
 */
export const BLAZEFACE_SIZE = 128;
export const BLAZEFACE_FILES = ['blazeface-front.json', 'blazeface-front.bin'] as const;

export interface GateFace {
  /** Box in fractions of the square input (0–1), corner and size. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly score: number;
  /** Eye centres (the subject's right eye first, i.e. image left when upright), fractions of the input. */
  readonly eyes: readonly [readonly [number, number], readonly [number, number]];
}

export interface BlazeFace {
  /**
   * Faces in `square` (an int32 or float [side, side, 3] tensor, not disposed here) with score ≥
   * `minScore`, best first after non-maximum suppression.
   */
  detect(square: TF.Tensor3D, minScore: number): Promise<GateFace[]>;
}

interface GraphManifest {
  modelTopology: unknown;
  format?: string; generatedBy?: string; convertedBy?: string;
  weightsManifest: { paths: string[]; weights: TF.io.WeightsManifestEntry[] }[];
}

function anchors(): Float32Array {
  const out: number[] = [];
  for (const [grid, perCell] of [[16, 2], [8, 6]] as const) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let k = 0; k < perCell; k++) out.push((x + 0.5) / grid, (y + 0.5) / grid);
      }
    }
  }
  return Float32Array.from(out);
}

const NMS_IOU = 0.3;

function iou(a: GateFace, b: GateFace): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

export async function loadBlazeFace(tf: Tfjs, dir: string): Promise<BlazeFace> {
  const manifest = JSON.parse(readFileSync(join(dir, BLAZEFACE_FILES[0]), 'utf8')) as GraphManifest;
  const bin = readFileSync(join(dir, BLAZEFACE_FILES[1]));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: manifest.modelTopology as TF.io.ModelArtifacts['modelTopology'],
    weightSpecs: manifest.weightsManifest.flatMap((m) => m.weights),
    weightData,
    format: manifest.format, generatedBy: manifest.generatedBy, convertedBy: manifest.convertedBy,
  }));
  const anchorXY = anchors();

  async function detect(square: TF.Tensor3D, minScore: number): Promise<GateFace[]> {
    const [scores16, scores8, boxes16, boxes8] = tf.tidy(() => {
      // Resized straight from the int32 image (the output is float): no full-size float copy to make and wipe.
      const resized = tf.image.resizeBilinear(square, [BLAZEFACE_SIZE, BLAZEFACE_SIZE]);
      const input = tf.expandDims(tf.sub(tf.div(resized, 127.5), 1), 0);
      return model.execute(input, ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0']) as TF.Tensor[];
    });
    let s16: Float32Array, s8: Float32Array, b16: Float32Array, b8: Float32Array;
    try {
      [s16, s8, b16, b8] = await Promise.all([scores16!, scores8!, boxes16!, boxes8!].map((t) => t.data() as Promise<Float32Array>)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    } finally {
      tf.dispose([scores16!, scores8!, boxes16!, boxes8!]);
    }
    const scores = new Float32Array(896);
    scores.set(s16, 0);
    scores.set(s8, 512);
    const raw = new Float32Array(896 * 16);
    raw.set(b16, 0);
    raw.set(b8, 512 * 16);
    const candidates: GateFace[] = [];
    const logit = Math.log(minScore / (1 - minScore));
    for (let i = 0; i < 896; i++) {
      const s = Math.max(-100, Math.min(100, scores[i]!));
      if (s < logit) continue;
      const r = i * 16;
      const ax = anchorXY[i * 2]!;
      const ay = anchorXY[i * 2 + 1]!;
      const cx = ax + raw[r]! / BLAZEFACE_SIZE;
      const cy = ay + raw[r + 1]! / BLAZEFACE_SIZE;
      const w = raw[r + 2]! / BLAZEFACE_SIZE;
      const h = raw[r + 3]! / BLAZEFACE_SIZE;
      candidates.push({
        x: cx - w / 2, y: cy - h / 2, width: w, height: h, score: 1 / (1 + Math.exp(-s)),
        eyes: [[ax + raw[r + 4]! / BLAZEFACE_SIZE, ay + raw[r + 5]! / BLAZEFACE_SIZE],
          [ax + raw[r + 6]! / BLAZEFACE_SIZE, ay + raw[r + 7]! / BLAZEFACE_SIZE]],
      });
    }
    raw.fill(0);
    candidates.sort((a, b) => b.score - a.score);
    const kept: GateFace[] = [];
    for (const c of candidates) if (kept.every((k) => iou(k, c) < NMS_IOU)) kept.push(c);
    return kept;
  }

  return { detect };
}
