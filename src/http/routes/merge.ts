import { Router } from 'express';
import type { Config } from '../../config.js';
import { runMerge } from '../../pipeline/merge.js';
import type { StageObserver } from '../../pipeline/run.js';
import { imageRequest, type SpineDeps } from '../../request/image-request.js';
import type { Guard } from '../guard.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { parseMergeFields } from './effects-schema.js';
import { writePicture } from './picture.js';

/**
 * POST /v1/merge: the person's face (file "image") swapped into a portrait the caller brings
 * (file "template"); the effects scope. Both uploads go through the same spine as every image.
 */
export function mergeRoutes(config: Config, spine: SpineDeps, guard: Guard, observer?: StageObserver): Router {
  const router = Router();
  const limits = { maxSize: config.effectMaxSize, defaultSize: config.effectDefaultSize };
  router.route('/v1/merge')
    .post(...guard('effects'), imageRequest(spine, {
      maxFields: 8,
      files: ['image', 'template'],
      parse: (fields, req) => parseMergeFields(fields, req.get('accept'), limits),
      run: (files, params, scope) => runMerge(files.image!, files.template!, params, {
        limits: { maxInputPixels: config.maxInputPixels },
        detectMaxSide: config.detectMaxSide,
        detector: spine.state.detector!,
        minFacePx: config.effectMinFacePx,
        swapMaxYawDegrees: config.swapMaxYawDegrees,
        observer,
      }, scope),
      write: writePicture,
    }))
    .all(methodNotAllowed(['POST']));
  return router;
}
