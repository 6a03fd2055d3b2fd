import cors from 'cors';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Credentials } from '../auth/credentials.js';
import type { Config } from '../config.js';
import { errors } from '../errors.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { Metrics } from '../metrics/metrics.js';
import type { StageObserver } from '../pipeline/run.js';
import type { LedgerObserver } from '../privacy/wipe-ledger.js';
import { createAdmission } from '../request/admission.js';
import { authenticate, authorize } from './auth.js';
import type { Drain } from '../request/drain.js';
import { buildOpenApi } from './openapi/builder.js';
import { operationsFor } from './openapi/operations.js';
import { observeRequests } from './observe.js';
import { problemHandler } from './problem.js';
import { rateLimit } from './rate-limit.js';
import { requestScope } from '../request/request-scope.js';
import { docsRoutes } from './routes/docs.js';
import { effectsRoutes } from './routes/effects.js';
import { healthRoutes } from './routes/health.js';
import { landmarksRoutes } from './routes/landmarks.js';
import { metricsRoutes } from './routes/metrics.js';
import { pageRoutes } from './routes/page.js';
import { templatesRoutes } from './routes/templates.js';
import type { ServiceState } from '../request/service-state.js';
import { uploadImage } from '../request/upload/upload.js';

export type { ServiceState } from '../request/service-state.js';

export interface AppDeps {
  readonly config: Config;
  readonly state: ServiceState;
  readonly version: string;
  readonly onUnexpectedError: (error: unknown) => void;
  readonly ledgerObserver?: LedgerObserver;
  readonly stageObserver?: StageObserver;
  readonly credentials: Credentials;
  readonly limiter: RateLimiter;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly drain: Drain;
}

export function createApp(deps: AppDeps): Express {
  const { config, state } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.trustProxyHops);

  app.use(observeRequests(deps.logger, deps.metrics));
  // helmet's defaults, minus upgrade-insecure-requests (TLS ends at the load balancer), plus
  // blob: images: the try-it page shows the photo and the result from in-memory object URLs.
  app.use(helmet({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, imgSrc: ["'self'", 'data:', 'blob:'] } },
  }));
  if (config.corsOrigins.length > 0) {
    app.use(cors({
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'X-API-Key', 'X-Request-Id', 'Content-Type'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Policy', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
      maxAge: 600,
    }));
  }

  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  app.use(healthRoutes(state, deps.version));
  app.use(pageRoutes());
  app.use(docsRoutes(buildOpenApi({
    title: 'mayfly',
    version: deps.version,
    description: 'Ephemeral face-image processing: photos live only in memory and are wiped after the response.',
  }, operationsFor({ maxSize: config.effectMaxSize }))));
  if (config.metricsToken !== undefined) app.use(metricsRoutes(deps.metrics.registry, config.metricsToken));

  // The template catalogue (list and preview art) is public: it is not user data, costs no
  // model work, and the try-it page shows previews before a key is entered.
  app.use(templatesRoutes(state));

  // Every other /v1 route: not shutting down → authenticated → allowed (scope) → within its limits.
  app.use('/v1', deps.drain.gate, authenticate(deps.credentials), authorize(), rateLimit(deps.limiter, {
    rps: config.rateLimitRps, burst: config.rateLimitBurst, daily: config.dailyQuota,
  }));

  // Every image route: ready → scope (ledger, deadline) → upload into memory → admission.
  const admission = createAdmission(config.maxInFlight, config.retryAfterMaxS);
  const whenReady = (_req: Request, _res: Response, next: NextFunction): void => {
    next(state.phase === 'ready' && state.detector ? undefined : errors.notReady());
  };
  const imageRequest: RequestHandler[] = [
    whenReady,
    deps.drain.countLedger,
    admission.gate,
    requestScope({ timeoutMs: config.requestTimeoutMs, observer: deps.ledgerObserver }),
    uploadImage({
      maxUploadBytes: config.maxUploadBytes,
      maxConcurrentUploads: config.maxConcurrentUploads,
      bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
      maxFields: 8,
      overloaded: admission.overloaded,
    }),
    admission.middleware,
  ];

  app.use(landmarksRoutes(config, state, imageRequest, deps.stageObserver));
  app.use(effectsRoutes(config, state, imageRequest, deps.stageObserver));

  app.use((_req, _res, next) => next(errors.notFound()));
  app.use(problemHandler(deps.onUnexpectedError));
  return app;
}
