import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../config.js';
import { errors } from '../errors.js';
import type { StageObserver } from '../pipeline/run.js';
import type { LedgerObserver } from '../privacy/wipe-ledger.js';
import { createAdmission } from './admission.js';
import { problemHandler } from './problem.js';
import { requestScope } from './request-scope.js';
import { healthRoutes } from './routes/health.js';
import { landmarksRoutes } from './routes/landmarks.js';
import type { ServiceState } from './service-state.js';
import { uploadImage } from './upload.js';

export type { ServiceState } from './service-state.js';

export interface AppDeps {
  readonly config: Config;
  readonly state: ServiceState;
  readonly version: string;
  readonly onUnexpectedError: (error: unknown) => void;
  readonly ledgerObserver?: LedgerObserver;
  readonly stageObserver?: StageObserver;
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

  app.use(healthRoutes(state, deps.version));

  // Every image route: ready → scope (ledger, deadline) → upload into memory → admission.
  const admission = createAdmission(config.maxInFlight);
  const whenReady = (_req: Request, _res: Response, next: NextFunction): void => {
    next(state.phase === 'ready' && state.detector ? undefined : errors.notReady());
  };
  const imageRequest: RequestHandler[] = [
    whenReady,
    admission.gate,
    requestScope({ timeoutMs: config.requestTimeoutMs, observer: deps.ledgerObserver }),
    uploadImage({
      maxUploadBytes: config.maxUploadBytes,
      maxConcurrentUploads: config.maxConcurrentUploads,
      bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
      maxFields: 8,
    }),
    admission.middleware,
  ];

  app.use(landmarksRoutes(config, state, imageRequest, deps.stageObserver));

  app.use((_req, _res, next) => next(errors.notFound()));
  app.use(problemHandler(deps.onUnexpectedError));
  return app;
}
