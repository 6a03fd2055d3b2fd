import { Router, type RequestHandler } from 'express';
import type { Config } from '../../config.js';
import { runLandmarks } from '../../pipeline/landmarks.js';
import type { StageObserver } from '../../pipeline/run.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { runContextOf } from '../../request/request-scope.js';
import type { ServiceState } from '../../request/service-state.js';

/** POST /v1/landmarks: one photo in, faces with their 68 landmarks out (JSON). */
export function landmarksRoutes(
  config: Config, state: ServiceState, imageRequest: readonly RequestHandler[], stageObserver?: StageObserver,
): Router {
  const router = Router();
  router.route('/v1/landmarks')
    .post(...imageRequest, async (req, res) => {
      const result = await runLandmarks(req.file!.buffer, {
        limits: { maxInputPixels: config.maxInputPixels },
        detectMaxSide: config.detectMaxSide,
        detector: state.detector!,
        observer: stageObserver,
      }, runContextOf(req));
      res.json(result);
    })
    .all(methodNotAllowed(['POST']));
  return router;
}
