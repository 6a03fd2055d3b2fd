import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../../config.js';
import { errors } from '../../errors.js';
import { runEffect } from '../../pipeline/effect.js';
import { MIME_TYPES } from '../../imaging/encode.js';
import type { StageObserver } from '../../pipeline/run.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { runContextOf } from '../../request/request-scope.js';
import type { ServiceState } from '../../request/service-state.js';
import { parseEffectFields } from './effects-schema.js';

const STAGES = ['decode', 'detect', 'composite', 'encode'] as const;

/** POST /v1/effects/{templateId}: one photo in, the face(s) composited into the template out. */
export function effectsRoutes(
  config: Config, state: ServiceState, imageRequest: readonly RequestHandler[], stageObserver?: StageObserver,
): Router {
  const router = Router();
  // Refused before the upload is read: an unknown template costs the client no body transfer.
  const knownTemplate = (req: Request, _res: Response, next: NextFunction): void => {
    if (!state.templates) next(errors.notReady());
    else next(state.templates.get(String(req.params.templateId)) ? undefined : errors.templateNotFound());
  };
  router.route('/v1/effects/:templateId')
    .post(knownTemplate, ...imageRequest, async (req, res) => {
      const template = state.templates!.get(String(req.params.templateId))!;
      const params = parseEffectFields(req.body, req.get('accept'), { maxSize: config.effectMaxSize, defaultSize: config.effectDefaultSize });
      const ctx = runContextOf(req);
      const result = await runEffect(req.file!.buffer, template, params, {
        limits: { maxInputPixels: config.maxInputPixels },
        detectMaxSide: config.detectMaxSide,
        detector: state.detector!,
        minFacePx: config.effectMinFacePx,
        swapMaxYawDegrees: config.swapMaxYawDegrees,
        templates: state.templates!,
        observer: stageObserver,
      }, ctx);
      res.status(200).set({
        'Content-Type': MIME_TYPES[result.format],
        'Content-Length': String(result.image.length),
        'X-Faces-Used': String(result.facesUsed),
        'Server-Timing': STAGES.map((s) => `${s};dur=${(ctx.timings[s] ?? 0).toFixed(1)}`).join(', '),
        Vary: 'Accept',
      });
      res.end(result.image);
    })
    .all(methodNotAllowed(['POST']));
  return router;
}
