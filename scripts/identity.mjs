// Identity measure for face swaps (npm run bench:swap and test/swap-identity.test.ts): face-api's
// recognition net (faceRecognitionNet, 128-d descriptors) on the wasm backend, in this process.
// Its Euclidean distance below 0.6 is face-api's own "same person" threshold. Tooling only: the
// service never loads this net.
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

/**
 * Faces in an encoded image (any format sharp reads), largest first, each with its box,
 * 68 landmarks and 128-d descriptor, in the pixels of the image scaled to `maxSide` at most.
 */
export async function facesIn(bytes, maxSide = 1024) {
  const { tf, faceapi } = await loadIdentity();
  const { data, info } = await sharp(bytes).rotate().resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const input = tf.tensor3d(Int32Array.from(data), [info.height, info.width, 3], 'int32');
  try {
    const found = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.3, maxResults: 20 }))
      .withFaceLandmarks().withFaceDescriptors();
    return found.map((r) => ({
      box: { x: r.detection.box.x, y: r.detection.box.y, width: r.detection.box.width, height: r.detection.box.height },
      landmarks: r.landmarks.positions.map((p) => [p.x, p.y]),
      descriptor: Array.from(r.descriptor),
      width: info.width,
      height: info.height,
    })).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
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
