import { describe, expect, it } from 'vitest';
import { meanAbsDiff, uprightRaw } from '../../test/input-corpus.js';
import { readSample } from '../../test/samples.js';
import { isZeroed, WipeLedger } from '../privacy/wipe-ledger.js';
import { decodeToMaxSide } from './decode.js';
import { shrink } from './shrink.js';

const limits = { maxInputPixels: 50_000_000 };

describe('shrink', () => {
  it('shrinks a decoded photo to maxSide on the long edge, close to decoding the upload at that size', async () => {
    const ledger = new WipeLedger();
    const photo = await decodeToMaxSide(readSample(3), 1024, limits, ledger);
    const small = await shrink(photo, 480, ledger);
    const reference = await uprightRaw(3, 480);
    expect([small.width, small.height, small.channels]).toEqual([reference.width, reference.height, 3]);
    // Two resizes against one: a grey level or two apart, as re-encoding would be.
    expect(meanAbsDiff(small.data, reference.data)).toBeLessThan(2);
    expect(photo.width).toBe(1024);
  });

  it('copies an image that already fits (a separate buffer: the detector takes its copy away)', async () => {
    const ledger = new WipeLedger();
    const photo = await decodeToMaxSide(readSample(1), 400, limits, ledger);
    const copy = await shrink(photo, 512, ledger);
    expect([copy.width, copy.height]).toEqual([photo.width, photo.height]);
    expect(copy.data).not.toBe(photo.data);
    expect(Buffer.from(copy.data).equals(Buffer.from(photo.data))).toBe(true);
  });

  it('registers its output with the ledger, which wipes it', async () => {
    const ledger = new WipeLedger();
    const photo = await decodeToMaxSide(readSample(2), 800, limits, ledger);
    const small = await shrink(photo, 300, ledger);
    expect(isZeroed(small.data)).toBe(false);
    ledger.wipeAll();
    expect(isZeroed(small.data)).toBe(true);
  });
});
