import { createRequire } from 'node:module';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSample, SAMPLE_NUMBERS } from '../../test/samples.js';
import { FACE_API_MODEL_DIR } from '../main.js';
import { installLeanLandmarks, type LandmarkNet } from './landmarks-lean.js';

/**
 * The lean landmark pass against face-api's own, on the real wasm backend and every face of the
 * sample photos: bit-identical points, and no tensor left behind.
 */
const require = createRequire(import.meta.url);
type Tfjs = typeof import('@tensorflow/tfjs');
const tf = require('@tensorflow/tfjs') as Tfjs;
const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
type Extractor = LandmarkNet['faceFeatureExtractor'];

let original: Extractor['forwardInput'];
let lean: Extractor['forwardInput'];
const net = faceapi.nets.faceLandmark68Net as unknown as LandmarkNet;

beforeAll(async () => {
  wasm.setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]+$/, ''));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(FACE_API_MODEL_DIR);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(FACE_API_MODEL_DIR);
  original = net.faceFeatureExtractor.forwardInput.bind(net.faceFeatureExtractor);
  installLeanLandmarks(net, tf);
  lean = net.faceFeatureExtractor.forwardInput;
});

describe('the lean landmark pass', () => {
  it('replaces face-api\'s feature extractor', () => {
    expect(lean).not.toBe(original);
    installLeanLandmarks(net, tf);
    expect(net.faceFeatureExtractor.forwardInput).toBe(lean); // installed once
  });

  it('gives face-api\'s own points, bit for bit, on every face of the six samples', async () => {
    let faces = 0;
    for (const n of SAMPLE_NUMBERS) {
      const { data, info } = await sharp(readSample(n)).resize(512, 512, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
      const image = tf.tensor3d(Int32Array.from(data), [info.height, info.width, 3], 'int32');
      const detections = await faceapi.detectAllFaces(image as never);
      const crops = await faceapi.extractFaceTensors(image as never, detections) as unknown as import('@tensorflow/tfjs').Tensor3D[];
      const points = async (pass: Extractor['forwardInput']): Promise<number[][]> => {
        net.faceFeatureExtractor.forwardInput = pass;
        const before = tf.memory().numTensors;
        const marks = await faceapi.nets.faceLandmark68Net.detectLandmarks(crops) as InstanceType<typeof faceapi.FaceLandmarks68>[];
        expect(tf.memory().numTensors).toBe(before);
        return marks.map((m) => m.positions.flatMap((p) => [p.x, p.y]));
      };
      const theirs = await points(original);
      const mine = await points(lean);
      expect(mine).toEqual(theirs);
      faces += mine.length;
      tf.dispose([image, ...crops]);
    }
    net.faceFeatureExtractor.forwardInput = lean;
    expect(faces).toBeGreaterThanOrEqual(20);
  });
});
