import { Router, type Request } from 'express';
import type { Config } from '../../config.js';
import { errors } from '../../errors.js';
import { runEffect } from '../../pipeline/effect.js';
import type { StageObserver } from '../../pipeline/run.js';
import type { Template } from '../../pipeline/templates/registry.js';
import { imageRequest, type SpineDeps } from '../../request/image-request.js';
import type { Guard } from '../guard.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { parseEffectFields } from './effects-schema.js';
import { writePicture } from './picture.js';

/** POST /v1/effects/{templateId}: one photo in, the face(s) composited into the template out. */
export function effectsRoutes(config: Config, spine: SpineDeps, guard: Guard, observer?: StageObserver): Router {
  const router = Router();
  const templateOf = (req: Request): Template => {
    const template = spine.state.templates?.get(String(req.params.templateId));
    if (!template) throw errors.templateNotFound();
    return template;
  };
  const limits = { maxSize: config.effectMaxSize, defaultSize: config.effectDefaultSize };
  router.route('/v1/effects/:templateId')
    .post(...guard('effects'), imageRequest(spine, {
      // An unknown template costs the client no body transfer.
      precheck: templateOf,
      maxFields: 8,
      parse: (fields, req) => ({ template: templateOf(req), params: parseEffectFields(fields, req.get('accept'), limits) }),
      run: (files, { template, params }, scope) => runEffect(files.image!, template, params, {
        limits: { maxInputPixels: config.maxInputPixels },
        detectMaxSide: config.detectMaxSide,
        detector: spine.state.detector!,
        minFacePx: config.effectMinFacePx,
        swapMaxYawDegrees: config.swapMaxYawDegrees,
        templates: spine.state.templates!,
        observer,
      }, scope),
      write: writePicture,
    }))
    .all(methodNotAllowed(['POST']));
  return router;
}
