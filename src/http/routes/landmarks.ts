import { Router } from 'express';
import type { Config } from '../../config.js';
import { errors } from '../../errors.js';
import { runLandmarks } from '../../pipeline/landmarks.js';
import type { StageObserver } from '../../pipeline/run.js';
import { imageRequest, type SpineDeps } from '../../request/image-request.js';
import type { Guard } from '../guard.js';
import { methodNotAllowed } from '../method-not-allowed.js';

/** POST /v1/landmarks: one photo in, faces with their 68 landmarks out (JSON). */
export function landmarksRoutes(config: Config, spine: SpineDeps, guard: Guard, observer?: StageObserver): Router {
  const router = Router();
  router.route('/v1/landmarks')
    .post(...guard('landmarks'), imageRequest(spine, {
      maxFields: 8,
      // The route takes the file alone; any other field is refused, as on the effects route.
      parse: (fields) => {
        if (Object.keys(fields).length > 0) throw errors.unknownField([]);
      },
      run: (files, _fields, scope) => runLandmarks(files.image!, {
        limits: { maxInputPixels: config.maxInputPixels },
        detectMaxSide: config.detectMaxSide,
        detector: spine.state.detector!,
        observer,
      }, scope),
      write: (res, result) => { res.json(result); },
    }))
    .all(methodNotAllowed(['POST']));
  return router;
}
