import { decodeCost } from '../../imaging/decode-cost.js';
import { decode as decodeImage, decodeSource, inspect } from '../../imaging/decode.js';
import type { ImageContext } from '../image-context.js';
import type { Step } from '../run.js';

/**
 * Header first (format by magic bytes, size checked before any pixel is decoded; read once),
 * its decode memory held from the budget (413/503 when it cannot be), text and metadata chunks
 * stripped (once), then the detector's copy, made from the upload itself at DETECT_MAX_SIDE — never from the
 * output-sized photo, so a small `maxSize` cannot starve detection — then, for effects, the
 * photo at the output's size. Both use shrink-on-load and are registered with the ledger.
 */
export const decode: Step<ImageContext> = {
  name: 'decode',
  async run(c) {
    const inspected = c.inspected = inspect(c.input, c.limits);
    // Weighed from the header before libvips allocates anything; the copies decode one after the
    // other, so the larger one's cost is the peak.
    const release = c.holdMemory(decodeCost(inspected.profile, { maxSide: Math.max(c.detectMaxSide, c.photoMaxSide ?? 0) }));
    try {
      const source = decodeSource(c.input, inspected, c.ledger);
      c.detectorCopy = await decodeImage(source, c.detectMaxSide, c.limits, c.ledger);
      if (c.photoMaxSide !== undefined) c.photo = await decodeImage(source, c.photoMaxSide, c.limits, c.ledger);
    } finally {
      release();
    }
  },
};
