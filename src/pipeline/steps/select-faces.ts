import { errors } from '../../errors.js';
import type { DetectedFace } from '../../faces/face.js';
import type { EffectContext } from '../effect.js';
import { kindOf } from '../kinds/index.js';
import { produced, type Step } from '../run.js';

/** Which faces an effect uses: every face (default), the largest, or one by index (largest = 0). */
export type FaceChoice = 'all' | 'largest' | number;

/**
 * Picks the faces to composite from `faces` (largest first). `scale` converts a face's box width
 * to pixels of the uploaded photo, where `minFacePx` applies. With `all`, faces too small are
 * skipped; a face chosen explicitly that is too small is refused. `limit` is the number of slots
 * (overlays have no limit). Slot templates fill their slots with the result in order, repeating it.
 */
export function selectFaces(
  faces: readonly DetectedFace[], choice: FaceChoice, options: { minFacePx: number; scale: number; limit: number },
): DetectedFace[] {
  if (faces.length === 0) throw errors.noFaceDetected();
  const bigEnough = (f: DetectedFace): boolean => f.box.width * options.scale >= options.minFacePx;
  if (choice === 'all') {
    const usable = faces.filter(bigEnough).slice(0, options.limit);
    if (usable.length === 0) throw errors.faceTooSmall(options.minFacePx);
    return usable;
  }
  const index = choice === 'largest' ? 0 : choice;
  const face = faces[index];
  if (!face) throw errors.noFaceDetected(`Face ${index} was asked for but ${faces.length} face(s) were found (index 0 is the largest).`);
  if (!bigEnough(face)) throw errors.faceTooSmall(options.minFacePx);
  return [face];
}

/** The faces an effect uses, by the request's `face` choice and the template's slot count. */
export const chooseFaces: Step<EffectContext> = {
  name: 'select-faces',
  run(c) {
    const photo = produced(c.photo, 'photo', 'decode');
    c.faces = selectFaces(produced(c.faces, 'faces', 'detect'), c.params.face, {
      minFacePx: c.minFacePx,
      // Face widths are judged in pixels of the upload, not of the (possibly smaller) photo.
      scale: produced(c.inspected, 'inspected', 'decode').width / photo.width,
      limit: kindOf(c.template.kind).maxFaces(c.template),
    });
  },
};
