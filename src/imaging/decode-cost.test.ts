import { fork } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { interlacedPng16, progressiveJpeg444 } from '../../scripts/hostile-images.mjs';
import { readSample } from '../../test/samples.js';
import { decodeCost } from './decode-cost.js';
import { readHeader, type DecodeProfile } from './header.js';
import { sniffFormat } from './sniff.js';

const MiB = 1024 * 1024;
const profileOf = (bytes: Uint8Array): DecodeProfile => {
  const sniffed = sniffFormat(bytes);
  if (!sniffed.ok) throw new Error('not an image');
  return readHeader(bytes, sniffed.format).profile;
};

describe('decodeCost', () => {
  it('grows with what the decoder must hold: progressive and interlaced cost far more than baseline', async () => {
    const maxSide = 512;
    const baseline = decodeCost({ format: 'jpeg', width: 8000, height: 6000, channels: 3, bitDepth: 8, storedSamplesPerPixel: 3, interlaced: false, animated: false, lossless: false }, { maxSide });
    const progressive = decodeCost({ format: 'jpeg', width: 8000, height: 6000, channels: 3, bitDepth: 8, storedSamplesPerPixel: 3, interlaced: true, animated: false, lossless: false }, { maxSide });
    expect(baseline).toBeLessThan(10 * MiB);
    expect(progressive).toBeGreaterThan(270 * MiB);
    // A larger output size costs more for the same input.
    expect(decodeCost(profileOf(readSample(1)), { maxSide: 2048 })).toBeGreaterThan(decodeCost(profileOf(readSample(1)), { maxSide: 512 }));
  });

  // The estimate must bound what a real decode takes: VmHWM of a fresh process with the `npm start`
  // malloc settings around one decodeToMaxSide (the child mode of scripts/measure-decode-cost.mjs).
  it.each([
    ['progressive 4:4:4 JPEG 4000×3000', () => progressiveJpeg444(4000, 3000)],
    ['interlaced 16-bit RGBA PNG 3000×3000', () => interlacedPng16(3000)],
  ])('bounds the measured peak: %s', async (_name, make) => {
    const bytes = await make();
    const estimate = decodeCost(profileOf(bytes), { maxSide: 512 });
    const child = fork('scripts/measure-decode-cost.mjs', ['--child'], {
      serialization: 'advanced',
      env: { ...process.env, MALLOC_PERTURB_: '165', MALLOC_ARENA_MAX: '2', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' },
    });
    const result = await new Promise<{ before: number; peak: number; outcome: string }>((resolve) => {
      child.once('message', (m) => resolve(m as { before: number; peak: number; outcome: string }));
      child.send({ bytes, maxSide: 512 });
    });
    const measured = result.peak - result.before;
    expect(result.outcome).toBe('ok');
    expect(measured).toBeGreaterThan(estimate * 0.5); // the case really is expensive
    expect(measured).toBeLessThanOrEqual(estimate * 1.1);
  });
});
