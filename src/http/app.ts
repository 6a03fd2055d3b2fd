import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Credentials } from '../auth/credentials.js';
import type { Config } from '../config.js';
import { errors } from '../errors.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { Metrics } from '../metrics/metrics.js';
import type { StageObserver } from '../pipeline/run.js';
import type { Capacity } from '../request/capacity.js';
import type { SpineDeps } from '../request/image-request.js';
import { createGuard } from './guard.js';
import { buildOpenApi } from './openapi/builder.js';
import { operationsFor } from './openapi/operations.js';
import { observeRequests } from './observe.js';
import { problemHandler } from './problem.js';
import { docsRoutes } from './routes/docs.js';
import { effectsRoutes } from './routes/effects.js';
import { mergeRoutes } from './routes/merge.js';
import { healthRoutes } from './routes/health.js';
import { landmarksRoutes } from './routes/landmarks.js';
import { metricsRoutes } from './routes/metrics.js';
import { pageRoutes } from './routes/page.js';
import { problemsRoutes } from './routes/problems.js';
import { templatesRoutes } from './routes/templates.js';
import type { ServiceState } from '../request/service-state.js';

export type { ServiceState } from '../request/service-state.js';

export interface AppDeps {
  readonly config: Config;
  readonly state: ServiceState;
  readonly version: string;
  readonly onUnexpectedError: (error: unknown) => void;
  readonly stageObserver?: StageObserver;
  readonly credentials: Credentials;
  readonly limiter: RateLimiter;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly capacity: Capacity;
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
      // What a web client reads from an answer: ids, back-off, limits, and the effect's own headers.
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Policy', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset',
        'X-Faces-Used', 'Server-Timing'],
      maxAge: 600,
    }));
  }

  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  app.use(healthRoutes(state, deps.version));
  app.use(pageRoutes());
  app.use(problemsRoutes());
  app.use(docsRoutes(buildOpenApi({
    title: 'mayfly',
    version: deps.version,
    description: 'Ephemeral face-image processing: photos live only in memory and are wiped after the response.',
  }, operationsFor({ maxSize: config.effectMaxSize }))));
  if (config.metricsToken !== undefined) app.use(metricsRoutes(deps.metrics.registry, config.metricsToken));

  // The template catalogue (list and preview art) is public: it is not user data, costs no
  // model work, and the try-it page shows previews before a key is entered.
  app.use(templatesRoutes(state));

  // Image routes: each carries its own guard (shutdown, key, scope, rate limit) and runs the spine.
  const guard = createGuard({
    capacity: deps.capacity,
    credentials: deps.credentials,
    limiter: deps.limiter,
    limits: { rps: config.rateLimitRps, burst: config.rateLimitBurst, daily: config.dailyQuota },
  });
  const spine: SpineDeps = {
    state,
    capacity: deps.capacity,
    requestTimeoutMs: config.requestTimeoutMs,
    upload: {
      maxUploadBytes: config.maxUploadBytes,
      bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
      minBytesPerS: config.minUploadBytesPerS,
      rateGraceMs: config.uploadRateGraceMs,
    },
  };
  app.use(landmarksRoutes(config, spine, guard, deps.stageObserver));
  app.use(effectsRoutes(config, spine, guard, deps.stageObserver));
  app.use(mergeRoutes(config, spine, guard, deps.stageObserver));

  app.use((_req, _res, next) => next(errors.notFound()));
  app.use(problemHandler(deps.onUnexpectedError));
  return app;
}
