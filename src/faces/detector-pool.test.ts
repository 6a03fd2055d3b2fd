import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_API_MODEL_DIR } from '../main.js';
import { decodeToMaxSide } from '../imaging/decode.js';
import { WipeLedger } from '../privacy/wipe-ledger.js';
import { readSample } from '../../test/samples.js';
import { createDetectorPool, type DetectorPool } from './detector-pool.js';

/** The pool's queue under deadlines and overload, with a real worker and the real model. */
let pool: DetectorPool;
beforeAll(async () => {
  pool = await createDetectorPool({
    size: 1, queueDepth: 2, backend: 'wasm', modelDir: FACE_API_MODEL_DIR, minFaceScore: 0.5, maxFaces: 20,
  });
});
afterAll(async () => { await pool?.close(); });

async function pixelsOf(n: number): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const { data, width, height } = await decodeToMaxSide(readSample(n), 512, { maxInputPixels: 50_000_000 }, new WipeLedger());
  return { pixels: data, width, height };
}

describe('detector pool queue', () => {
  it('takes a waiting job out of the queue at its deadline, zeroes its pixels, and keeps the running one', async () => {
    const running = await pixelsOf(1);
    const waiting = await pixelsOf(2);
    const first = pool.detect({ ...running, deadline: Date.now() + 120_000 });
    expect(pool.stats()).toMatchObject({ busy: 1, queued: 0 });
    // Already past its deadline, and the only worker is busy: it can only wait in the queue.
    const late = pool.detect({ ...waiting, deadline: Date.now() - 1 });
    expect(pool.stats().queued).toBe(1);
    await expect(late).rejects.toMatchObject({ code: 'timeout', status: 503 });
    expect(pool.stats().queued).toBe(0);
    expect(waiting.pixels.every((v) => v === 0)).toBe(true);
    // The running job's pixels were transferred to the worker: nothing is left here.
    expect(running.pixels.byteLength).toBe(0);
    expect((await first).length).toBe(3);
  });

  it('refuses a job at once with 503 overloaded when the worker is busy and the queue is full', async () => {
    const jobs = await Promise.all([1, 2, 3, 4].map(pixelsOf));
    const accepted = jobs.slice(0, 3).map((j) => pool.detect({ ...j, deadline: Date.now() + 120_000 }));
    expect(pool.stats()).toMatchObject({ busy: 1, queued: 2, capacity: 2 });
    await expect(pool.detect({ ...jobs[3]!, deadline: Date.now() + 120_000 })).rejects.toMatchObject({ code: 'overloaded' });
    const faces = await Promise.all(accepted);
    expect(faces.map((f) => f.length)).toEqual([3, 3, 3]);
  });
});
