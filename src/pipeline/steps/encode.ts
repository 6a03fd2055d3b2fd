import { encodeImage } from '../../imaging/encode.js';
import type { EffectContext } from '../effect.js';
import { produced, type Step } from '../run.js';

/** The answer's bytes, in the asked format, with no metadata of the input (registered with the ledger). */
export const encode: Step<EffectContext> = {
  name: 'encode',
  async run(c) {
    c.encoded = await encodeImage(produced(c.output, 'output', 'composite'), c.params.format, c.params.quality, c.ledger);
  },
};
