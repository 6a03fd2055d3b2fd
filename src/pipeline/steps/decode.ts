import { decodeCost } from '../../imaging/decode-cost.js';
import { decode as decodeImage, decodeSource, inspect } from '../../imaging/decode.js';
import { shrink } from '../../imaging/shrink.js';
import type { ImageContext } from '../image-context.js';
import type { Step } from '../run.js';

/**
 * Header first (format by magic bytes, size checked before any pixel is decoded; read once),
 * its decode memory held from the budget (413/503 when it cannot be), text and metadata chunks
 * stripped (once), then the detector's copy at DETECT_MAX_SIDE and, for effects, the photo at the
 * output's size: the larger of the two decoded from the upload (shrink-on-load), the smaller
 * shrunk from it, so a small `maxSize` cannot starve detection. All registered with the ledger.
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
      // One decode, at the larger of the two sizes; the other copy is shrunk from it. A large
      // JPEG's entropy decode costs the same at any shrink-on-load factor (a 12 MP photo: about
      // 130 ms per decode here), and the detector's copy is never smaller than DETECT_MAX_SIDE.
      const photoSide = c.photoMaxSide;
      if (photoSide === undefined) {
        c.detectorCopy = await decodeImage(source, c.detectMaxSide, c.limits, c.ledger);
      } else if (photoSide >= c.detectMaxSide) {
        c.photo = await decodeImage(source, photoSide, c.limits, c.ledger);
        c.detectorCopy = await shrink(c.photo, c.detectMaxSide, c.ledger);
      } else {
        c.detectorCopy = await decodeImage(source, c.detectMaxSide, c.limits, c.ledger);
        c.photo = await shrink(c.detectorCopy, photoSide, c.ledger);
      }
    } finally {
      release();
    }
  },
};
