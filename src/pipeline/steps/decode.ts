import { decode as decodeImage, inspect } from '../../imaging/decode.js';
import type { ImageContext } from '../image-context.js';
import type { Step } from '../run.js';

/**
 * Header first (format by magic bytes, size checked before any pixel is decoded; read once),
 * then the detector's copy, made from the upload itself at DETECT_MAX_SIDE — never from the
 * output-sized photo, so a small `maxSize` cannot starve detection — then, for effects, the
 * photo at the output's size. Both use shrink-on-load and are registered with the ledger.
 */
export const decode: Step<ImageContext> = {
  name: 'decode',
  async run(c) {
    const inspected = c.inspected = inspect(c.input, c.limits);
    c.detectorCopy = await decodeImage(c.input, inspected, c.detectMaxSide, c.limits, c.ledger);
    if (c.photoMaxSide !== undefined) c.photo = await decodeImage(c.input, inspected, c.photoMaxSide, c.limits, c.ledger);
  },
};
