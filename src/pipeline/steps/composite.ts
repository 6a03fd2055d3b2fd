import type { EffectContext } from '../effect.js';
import { kindOf } from '../kinds/index.js';
import { produced, type Step } from '../run.js';

/** The template's kind composites the chosen faces (see kinds/<kind>/kind.ts). */
export const composite: Step<EffectContext> = {
  name: 'composite',
  async run(c) {
    const { template } = c;
    c.output = await kindOf(template.kind).composite({
      template,
      photo: produced(c.photo, 'photo', 'decode'),
      faces: produced(c.faces, 'faces', 'select-faces'),
      params: { ...c.params, swapMaxYawDegrees: c.swapMaxYawDegrees },
      artAt: (edge) => c.templates.artAt(template, edge),
      derived: (key, make) => c.templates.derived(template, key, make),
      ledger: c.ledger,
    });
  },
};
