import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import type { Config } from '../config.js';
import { errors } from '../errors.js';
import type { FaceDetector } from '../pipeline/detect.js';
import { runLandmarks } from '../pipeline/landmarks.js';
import type { StageObserver } from '../pipeline/run.js';
import type { LedgerObserver } from '../privacy/wipe-ledger.js';
import { createAdmission } from './admission.js';
import { problemHandler } from './problem.js';
import { requestScope, runContextOf } from './request-scope.js';
import { uploadImage } from './upload.js';

/** What the HTTP layer reads of the running service; main.ts owns and updates it. */
export interface ServiceState {
  phase: 'starting' | 'ready' | 'stopping';
  detector?: FaceDetector;
  backend?: { backend: string; tfjs: string; faceApi: string; simd: boolean };
}

export interface AppDeps {
  readonly config: Config;
  readonly state: ServiceState;
  readonly version: string;
  readonly onUnexpectedError: (error: unknown) => void;
  readonly ledgerObserver?: LedgerObserver;
  readonly stageObserver?: StageObserver;
}

function methodNotAllowed(allowed: readonly string[]) {
  return (_req: Request, _res: Response, next: NextFunction): void => next(errors.methodNotAllowed(allowed));
}

export function createApp(deps: AppDeps): Express {
  const { config, state } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // Liveness never waits behind image work: it touches nothing but the event loop.
  app.route('/healthz')
    .get((_req, res) => { res.json({ status: 'ok' }); })
    .all(methodNotAllowed(['GET', 'HEAD']));

  app.route('/readyz')
    .get((_req, res) => {
      const ready = state.phase === 'ready';
      res.status(ready ? 200 : 503).json({
        status: state.phase,
        backend: state.backend?.backend ?? null,
        simd: state.backend?.simd ?? null,
        versions: { mayfly: deps.version, tfjs: state.backend?.tfjs ?? null, faceApi: state.backend?.faceApi ?? null, node: process.versions.node },
      });
    })
    .all(methodNotAllowed(['GET', 'HEAD']));

  const admission = createAdmission(config.maxInFlight);
  const whenReady = (_req: Request, _res: Response, next: NextFunction): void => {
    next(state.phase === 'ready' && state.detector ? undefined : errors.notReady());
  };
  const imageRequest = [
    whenReady,
    requestScope({ timeoutMs: config.requestTimeoutMs, observer: deps.ledgerObserver }),
    uploadImage({
      maxUploadBytes: config.maxUploadBytes,
      maxConcurrentUploads: config.maxConcurrentUploads,
      bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
      maxFields: 8,
    }),
    admission.middleware,
  ];

  app.route('/v1/landmarks')
    .post(...imageRequest, async (req, res) => {
      const result = await runLandmarks(req.file!.buffer, {
        limits: { maxInputPixels: config.maxInputPixels },
        detectMaxSide: config.detectMaxSide,
        detector: state.detector!,
        observer: deps.stageObserver,
      }, runContextOf(req));
      res.json(result);
    })
    .all(methodNotAllowed(['POST']));

  app.use((_req, _res, next) => next(errors.notFound()));
  app.use(problemHandler(deps.onUnexpectedError));
  return app;
}
