import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import sharp from 'sharp';
import { PACKAGE_ROOT } from './package-root.js';
import { loadCredentials, type Credentials } from './auth/credentials.js';
import type { Config } from './config.js';
import { createDetectorPool, type DetectorPool } from './faces/detector-pool.js';
import { createApp, type ServiceState } from './http/app.js';
import { connectRedis, type RedisStore } from './limits/redis-store.js';
import { createCapacity } from './request/capacity.js';
import { createMetrics } from './metrics/metrics.js';
import { createRateLimiter } from './limits/rate-limiter.js';
import { metricsListener } from './http/routes/metrics.js';
import { onCheckExpectation, onClientError, onConnect, requireHost } from './http/client-error.js';
import { warmPipeline } from './pipeline/warm-up.js';
import { wipeSocketReads } from './privacy/socket-reads.js';
import type { LedgerObserver } from './privacy/wipe-ledger.js';
import { readTemplateDefinitions } from './pipeline/templates/load.js';
import { prepareTemplates } from './pipeline/templates/registry.js';

/**
 * Composition root: config → native settings → HTTP server (answering /healthz at once) →
 * models in the worker pool → ready. The only module that knows every other one.
 */
const require = createRequire(import.meta.url);
const version = (require(join(PACKAGE_ROOT, 'package.json')) as { version: string }).version;

const FACE_API_DIR = dirname(require.resolve('@vladmandic/face-api/package.json'));
export const FACE_API_MODEL_DIR = join(FACE_API_DIR, 'model');
/** Asset roots a face-swap template's portrait may come from (MIT-licensed demo photos of face-api). */
export const TEMPLATE_ASSET_ROOTS = { 'face-api-demo': join(FACE_API_DIR, 'demo') } as const;

export interface RunningService {
  readonly server: Server;
  readonly state: ServiceState;
  readonly logger: Logger;
  /** Resolves once the models are loaded and warmed (or rejects if they cannot be). */
  readonly ready: Promise<void>;
  /** The separate metrics listener (METRICS_PORT), if any. */
  readonly metricsServer?: Server;
  /** Set when no credentials were configured: the random key this run accepts. */
  readonly devKey?: string;
  /** Stops admitting work, lets in-flight requests finish within the grace period, frees workers. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly ledgerObserver?: LedgerObserver;
  readonly logger?: Logger;
  /** Credentials to use instead of the ones the config describes (tests). */
  readonly credentials?: Credentials;
}

export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  // No operation cache (it would keep decoded pixels alive between requests).
  sharp.cache(false);
  sharp.concurrency(config.sharpConcurrency);
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'mayfly' } });
  const state: ServiceState = { phase: 'starting' };
  // A broken template stops the boot here, before the port is opened (TemplateError names file and field).
  const templateDefinitions = readTemplateDefinitions(resolve(PACKAGE_ROOT, config.templatesDir));
  const credentials = options.credentials ?? await loadCredentials(config);
  if (credentials.devKey) logger.warn('no API_KEYS, API_KEYS_FILE or JWT settings: accepting only a generated development key');
  if (config.tfjsBackend === 'tensorflow') {
    logger.warn({ backend: 'tensorflow', tensorWipe: false },
      'PRIVACY: TFJS_BACKEND=tensorflow (tfjs-node) keeps tensor memory in libtensorflow, which is never zeroed: photo-derived tensors outlive the request. /readyz reports "tensorWipe": false. Use TFJS_BACKEND=wasm (the default) to keep the promise');
  }
  let pool: DetectorPool | undefined;
  const metrics = createMetrics();
  const capacity = createCapacity({
    maxInFlight: config.maxInFlight,
    maxConcurrentUploads: config.maxConcurrentUploads,
    maxUploadsPerClient: config.maxUploadsPerClient,
    memoryBudgetBytes: config.memoryBudgetBytes,
    maxDecodeBytes: config.maxDecodeBytes,
    retryAfterMaxS: config.retryAfterMaxS,
    state,
    registry: metrics.registry,
    detectorStats: () => pool?.stats(),
    ledgerObserver: options.ledgerObserver,
  });
  let store: RedisStore | undefined;
  if (config.redisUrl !== undefined) {
    metrics.setRateLimitStoreUp(false);
    store = connectRedis(config.redisUrl, config.redisTimeoutMs, {
      onDown: (reason) => {
        metrics.setRateLimitStoreUp(false);
        logger.warn({ reason }, 'rate-limit store (Redis) unavailable: each replica enforces the limits on its own until it returns');
      },
      onUp: () => {
        metrics.setRateLimitStoreUp(true);
        logger.info('rate-limit store (Redis) connected: limits are shared by every replica');
      },
    });
  }
  const limiter = createRateLimiter({
    burstWindowS: config.rateLimitBurstWindowS, store, onFallback: () => metrics.rateLimitFallback(),
  });

  const app = createApp({
    config,
    state,
    version,
    stageObserver: metrics.stageObserver,
    onUnexpectedError: (error) => logger.error({ err: error }, 'unexpected error'),
    credentials,
    limiter,
    metrics,
    logger,
    capacity,
  });
  const server = createServer({
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.bodyTimeoutMs,
    // Node checks both timeouts on this interval (default 30 s): make it fine enough to matter.
    connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    keepAliveTimeout: 5000,
    // Answered as problem+json by requireHost instead of Node's bare 400.
    requireHostHeader: false,
  }, requireHost(app));
  // Node's own 408/400/431 answers (header and request timeouts, unparsable requests) as problem+json.
  server.on('clientError', onClientError);
  // ...and its bare 417 (an Expect other than 100-continue), and CONNECT, which it leaves unanswered.
  server.on('checkExpectation', onCheckExpectation);
  server.on('connect', onConnect);
  wipeSocketReads(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address();
  logger.info({ port: typeof address === 'object' && address ? address.port : config.port }, 'listening');
  let metricsServer: Server | undefined;
  if (config.metricsPort !== undefined) {
    const listener = createServer(metricsListener(metrics.registry));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(config.metricsPort, config.host, () => { listener.off('error', reject); resolve(); });
    });
    metricsServer = listener;
    logger.info({ port: config.metricsPort }, 'metrics listening');
  }

  const ready = createDetectorPool({
    size: config.poolSize,
    queueDepth: config.queueDepth,
    backend: config.tfjsBackend,
    modelDir: FACE_API_MODEL_DIR,
    minFaceScore: config.minFaceScore,
    maxFaces: config.maxFaces,
    cascade: config.faceCascade,
    closeUpSsdSize: config.closeUpSsdSize,
  }).then(async (created) => {
    pool = created;
    await warmPipeline(created, {
      workers: config.poolSize, detectMaxSide: config.detectMaxSide, limits: { maxInputPixels: config.maxInputPixels },
    });
    state.detector = created;
    state.backend = created.info;
    // Face-swap portraits are detected once here; templates get a plain function, not the models.
    state.templates = await prepareTemplates(templateDefinitions, {
      assetRoots: TEMPLATE_ASSET_ROOTS,
      cacheBytes: config.templateCacheBytes,
      detect: (pixels, width, height) => created.detect({ pixels, width, height, deadline: Date.now() + 60_000 }),
    });
    if (state.phase === 'starting') state.phase = 'ready';
    logger.info({ backend: created.info.backend, simd: created.info.simd, workers: config.poolSize }, 'models loaded');
  });

  // Keeps listening while draining: /readyz answers 503 (so the load balancer stops sending) and
  // new /v1 requests get 503 shutting_down; admitted requests finish within the grace period.
  // Then every connection is closed, which wipes the ledgers of anything still unfinished.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= drainAndStop());
  const drainAndStop = async (): Promise<void> => {
    state.phase = 'stopping';
    logger.info({ open: capacity.counts().open, graceMs: config.shutdownGraceMs }, 'draining');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), config.shutdownGraceMs); });
    const drained = await Promise.race([capacity.idle().then(() => true), grace]);
    clearTimeout(timer);
    const unfinished = capacity.counts().open;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    await ready.catch(() => undefined);
    await pool?.close();
    await store?.close();
    if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    logger.info({ drained, unfinished, openLedgers: capacity.counts().openLedgers }, 'stopped');
  };

  return { server, state, logger, ready, metricsServer, devKey: credentials.devKey, stop };
}
