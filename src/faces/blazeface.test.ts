import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSample } from '../../test/samples.js';
import { BLAZEFACE_FILES, loadBlazeFace, type BlazeFace } from './blazeface.js';
import { isCloseUp } from './cascade.js';
import { BLAZEFACE_DIR } from './face-model.js';

/**
 * The vendored BlazeFace files are the ones models/blazeface/README.md names (checksums), and the
 * gate finds a close-up where there is one and does not call the group photos close-ups.
 */
const require = createRequire(import.meta.url);
type Tfjs = typeof import('@tensorflow/tfjs');
const tf = require('@tensorflow/tfjs') as Tfjs;
const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');

const SHA256: Record<(typeof BLAZEFACE_FILES)[number], string> = {
  'blazeface-front.json': '050937ba1fd6e6a368c55333cab6ada95c44ee26ac654c1ffb5ea40be556150f',
  'blazeface-front.bin': '3a358946b1b8f13fc0bbba54e20a57475b73efbe1500579b00cffec026a10236',
};

let gate: BlazeFace;
beforeAll(async () => {
  wasm.setWasmPaths(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]+$/, ''));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  gate = await loadBlazeFace(tf, BLAZEFACE_DIR);
});

async function square(image: ReturnType<typeof sharp>): Promise<import('@tensorflow/tfjs').Tensor3D> {
  const { data, info } = await image.resize(512, 512, { fit: 'inside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return tf.tidy(() => tf.pad(tf.tensor3d(Int32Array.from(data), [info.height, info.width, 3], 'int32'),
    [[0, 512 - info.height], [0, 512 - info.width], [0, 0]]) as import('@tensorflow/tfjs').Tensor3D);
}

describe('BlazeFace gate', () => {
  it.each(BLAZEFACE_FILES)('%s has the checksum its README records', (file) => {
    const hash = createHash('sha256').update(readFileSync(join(BLAZEFACE_DIR, file))).digest('hex');
    expect(hash).toBe(SHA256[file]);
    expect(readFileSync(join(BLAZEFACE_DIR, 'README.md'), 'utf8')).toContain(hash);
  });

  it('sees a portrait crop of a sample face as one large, sure face (a close-up)', async () => {
    // sample1's left face, cropped to a portrait with the face about half the width.
    const input = await square(sharp(readSample(1)).extract({ left: 630, top: 110, width: 420, height: 560 }));
    const faces = await gate.detect(input, 0.3);
    input.dispose();
    expect(faces).toHaveLength(1);
    expect(faces[0]!.score).toBeGreaterThan(0.8);
    expect(faces[0]!.width).toBeGreaterThan(0.3);
    expect(isCloseUp(faces)).toBe(true);
  });

  it('calls none of the six group photos a close-up', async () => {
    for (const n of [1, 2, 3, 4, 5, 6]) {
      const input = await square(sharp(readSample(n)));
      const faces = await gate.detect(input, 0.3);
      input.dispose();
      expect(isCloseUp(faces), `sample${n}`).toBe(false);
    }
  });

  it('leaves no tensor behind', async () => {
    const input = await square(sharp(readSample(2)));
    const before = tf.memory().numTensors;
    await gate.detect(input, 0.3);
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
  });
});
