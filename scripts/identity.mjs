// Identity measure for face swaps (npm run bench:swap and test/swap-identity.test.ts): face-api's
// recognition net (faceRecognitionNet, 128-d descriptors) on the wasm backend, in this process.
// Its Euclidean distance below 0.6 is face-api's own "same person" threshold. Tooling only: the
// service never loads this net.
//
// Two descriptors per face:
// - `descriptor`: face-api's own (withFaceDescriptors): the box landmarks.align({ useDlibAlignment })
//   gives (from the eye and mouth centres), cut axis-aligned from the image, so a face rolled in
//   its photo reaches the net rolled.
// - `alignedDescriptor`: the same box cut from the image rotated about the eye midpoint until the
//   eye line is level. The net is dlib's dlib_face_recognition_resnet_model_v1 (face-api's
//   TUTORIAL.md: "equivalent to ... the net used in the dlib face recognition example. The
//   weights have been trained by davisking"), and dlib feeds it chips from
//   get_face_chip_details + extract_image_chip, which are "rotated upright, centered, and scaled
//   to a standard size" (dlib/image_transforms/interpolation_abstract.h;
//   examples/dnn_face_recognition_ex.cpp). The same rule for every face (user, template, result);
//   for a face whose eyes are level already it is face-api's descriptor exactly.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

const require = createRequire(import.meta.url);

let loading;
/** Loads the nets once: SSD MobileNet v1, 68-point landmarks, recognition. */
export function loadIdentity() {
  loading ??= (async () => {
    const tf = require('@tensorflow/tfjs');
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    wasm.setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]+$/, ''));
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await tf.setBackend('wasm');
    await tf.ready();
    const modelDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
    return { tf, faceapi };
  })();
  return loading;
}

/** face-api's FaceLandmarks.alignDlib constants: box size = eye–mouth distance / 0.45, placed at 0.5 / 0.43 of it. */
const REL_X = 0.5;
const REL_Y = 0.43;
const REL_SCALE = 0.45;

const centre = (points, from, to) => {
  let x = 0; let y = 0;
  for (let i = from; i < to; i++) { x += points[i][0]; y += points[i][1]; }
  return [x / (to - from), y / (to - from)];
};

/**
 * The face-api recognition crop of a face, made upright: the image (RGB bytes, width × height)
 * rotated about the eye midpoint so that the eye line is level (bilinear, rounded to bytes as a
 * rotated 8-bit image would be; outside the picture is black), then the box face-api's
 * landmarks.align(null, { useDlibAlignment: true }) gives from the rotated landmarks, clipped to
 * the canvas as extractFaceTensors clips it. `detectionBox`: face-api caps the box at the
 * detection box's size plus its offset (FaceLandmarks.alignDlib), kept for parity.
 * Returns { data: Int32Array (RGB), width, height, angle (degrees the face was rolled) }.
 */
export function uprightChip(data, width, height, landmarks, detectionBox, { level = true } = {}) {
  const le = centre(landmarks, 36, 42);
  const re = centre(landmarks, 42, 48);
  const mouth = centre(landmarks, 48, 68);
  const angle = level ? Math.atan2(re[1] - le[1], re[0] - le[0]) : 0;
  const mx = (le[0] + re[0]) / 2; const my = (le[1] + re[1]) / 2;
  const cos = Math.cos(angle); const sin = Math.sin(angle);
  // Rotated frame: p' = m + R(−angle)(p − m); a pixel p' of it reads the image at m + R(angle)(p' − m).
  const toUpright = ([x, y]) => [mx + cos * (x - mx) + sin * (y - my), my - sin * (x - mx) + cos * (y - my)];
  const [l, r, m] = [le, re, mouth].map(toUpright);
  const size = Math.floor((Math.hypot(m[0] - l[0], m[1] - l[1]) + Math.hypot(m[0] - r[0], m[1] - r[1])) / 2 / REL_SCALE);
  const cx = (l[0] + r[0] + m[0]) / 3; const cy = (l[1] + r[1] + m[1]) / 3;
  const x = Math.floor(Math.max(0, cx - REL_X * size));
  const y = Math.floor(Math.max(0, cy - REL_Y * size));
  const boxW = Math.min(size, Math.floor(detectionBox.width) + x);
  const boxH = Math.min(size, Math.floor(detectionBox.height) + y);
  // Box.clipAtImageBorders (the canvas keeps the image's size).
  const x0 = Math.max(x, 0); const y0 = Math.max(y, 0);
  const w = Math.floor(Math.min(x + boxW - x0, width - x0));
  const h = Math.floor(Math.min(y + boxH - y0, height - y0));
  if (w <= 0 || h <= 0) return null;
  const out = new Int32Array(w * h * 3);
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const dx = x0 + col - mx; const dy = y0 + row - my;
      const sx = mx + cos * dx - sin * dy; const sy = my + sin * dx + cos * dy;
      if (sx < 0 || sy < 0 || sx > width - 1 || sy > height - 1) continue;
      const ix = Math.min(Math.floor(sx), width - 2); const iy = Math.min(Math.floor(sy), height - 2);
      const tx = sx - ix; const ty = sy - iy;
      const i00 = (iy * width + ix) * 3; const i10 = i00 + 3; const i01 = i00 + width * 3; const i11 = i01 + 3;
      for (let c = 0; c < 3; c++) {
        const top = data[i00 + c] + (data[i10 + c] - data[i00 + c]) * tx;
        const bottom = data[i01 + c] + (data[i11 + c] - data[i01 + c]) * tx;
        out[(row * w + col) * 3 + c] = Math.round(top + (bottom - top) * ty);
      }
    }
  }
  return { data: out, width: w, height: h, angle: (angle * 180) / Math.PI };
}

/**
 * Faces in an encoded image (any format sharp reads), largest first, each with its box,
 * 68 landmarks, face-api's 128-d descriptor and the upright one (see the top of this file), in
 * the pixels of the image scaled to `maxSide` at most. `aligned: false` skips the upright one;
 * `level: false` cuts it unturned (face-api's own crop: a check that the two agree).
 */
export async function facesIn(bytes, maxSide = 1024, { aligned = true, level = true } = {}) {
  const { tf, faceapi } = await loadIdentity();
  const { data, info } = await sharp(bytes).rotate().resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const input = tf.tensor3d(Int32Array.from(data), [info.height, info.width, 3], 'int32');
  try {
    const found = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.3, maxResults: 20 }))
      .withFaceLandmarks().withFaceDescriptors();
    const faces = [];
    for (const r of found) {
      const landmarks = r.landmarks.positions.map((p) => [p.x, p.y]);
      let alignedDescriptor; let roll;
      if (aligned) {
        // The crop that landmarks were found on (extendWithFaceLandmarks: the detection box, floored and clipped).
        const chip = uprightChip(data, info.width, info.height, landmarks, r.detection.box.clipAtImageBorders(info.width, info.height), { level });
        if (chip) {
          const t = tf.tensor3d(chip.data, [chip.height, chip.width, 3], 'int32');
          try {
            alignedDescriptor = Array.from(await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(t));
          } finally {
            t.dispose();
          }
          roll = chip.angle;
        }
      }
      faces.push({
        box: { x: r.detection.box.x, y: r.detection.box.y, width: r.detection.box.width, height: r.detection.box.height },
        landmarks,
        descriptor: Array.from(r.descriptor),
        ...(alignedDescriptor ? { alignedDescriptor, roll } : {}),
        width: info.width,
        height: info.height,
      });
    }
    return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  } finally {
    input.dispose();
  }
}

export function descriptorDistance(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** The face in `faces` whose eye midpoint is nearest `point` (same pixel space). */
export function faceNearest(faces, [x, y]) {
  let best = null; let bestD = Infinity;
  for (const f of faces) {
    const l = f.landmarks;
    let cx = 0; let cy = 0;
    for (let i = 36; i < 48; i++) { cx += l[i][0]; cy += l[i][1]; }
    const d = Math.hypot(cx / 12 - x, cy / 12 - y);
    if (d < bestD) { bestD = d; best = f; }
  }
  return best;
}
