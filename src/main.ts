import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import sharp from 'sharp';
import type { Config } from './config.js';
import { createDetectorPool, type DetectorPool } from './faces/detector-pool.js';
import { createApp, type ServiceState } from './http/app.js';
import { onClientError } from './http/client-error.js';
import type { LedgerObserver } from './privacy/wipe-ledger.js';
import { readTemplateDefinitions } from './templates/load.js';
import { prepareTemplates } from './templates/registry.js';

/**
 * Composition root: config → native settings → HTTP server (answering /healthz at once) →
 * models in the worker pool → ready. The only module that knows every other one.
 */
const require = createRequire(import.meta.url);
const version = (require('../package.json') as { version: string }).version;

const FACE_API_DIR = dirname(require.resolve('@vladmandic/face-api/package.json'));
export const FACE_API_MODEL_DIR = join(FACE_API_DIR, 'model');
/** Asset roots a face-swap template's portrait may come from (MIT-licensed demo photos of face-api). */
export const TEMPLATE_ASSET_ROOTS = { 'face-api-demo': join(FACE_API_DIR, 'demo') } as const;
const PACKAGE_ROOT = dirname(require.resolve('../package.json'));

export interface RunningService {
  readonly server: Server;
  readonly state: ServiceState;
  readonly logger: Logger;
  /** Resolves once the models are loaded and warmed (or rejects if they cannot be). */
  readonly ready: Promise<void>;
  /** Stops admitting work, lets in-flight requests finish within the grace period, frees workers. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly ledgerObserver?: LedgerObserver;
  readonly logger?: Logger;
}

export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  // No operation cache (it would keep decoded pixels alive between requests).
  sharp.cache(false);
  sharp.concurrency(config.sharpConcurrency);
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'mayfly' } });
  const state: ServiceState = { phase: 'starting' };
  // A broken template stops the boot here, before the port is opened (TemplateError names file and field).
  const templateDefinitions = readTemplateDefinitions(resolve(PACKAGE_ROOT, config.templatesDir));

  const app = createApp({
    config,
    state,
    version,
    ledgerObserver: options.ledgerObserver,
    onUnexpectedError: (error) => logger.error({ err: error }, 'unexpected error'),
  });
  const server = createServer({
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.bodyTimeoutMs,
    // Node checks both timeouts on this interval (default 30 s): make it fine enough to matter.
    connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    keepAliveTimeout: 5000,
  }, app);
  // Node's own 408/400/431 answers (header and request timeouts, unparsable requests) as problem+json.
  server.on('clientError', onClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address();
  logger.info({ port: typeof address === 'object' && address ? address.port : config.port }, 'listening');

  let pool: DetectorPool | undefined;
  const ready = createDetectorPool({
    size: config.poolSize,
    queueDepth: config.queueDepth,
    backend: config.tfjsBackend,
    modelDir: FACE_API_MODEL_DIR,
    minFaceScore: config.minFaceScore,
    maxFaces: config.maxFaces,
  }).then(async (created) => {
    pool = created;
    state.detector = created;
    state.backend = created.info;
    // Face-swap portraits are detected once here; templates get a plain function, not the models.
    state.templates = await prepareTemplates(templateDefinitions, {
      assetRoots: TEMPLATE_ASSET_ROOTS,
      detect: (pixels, width, height) => created.detect({ pixels, width, height, deadline: Date.now() + 60_000 }),
    });
    if (state.phase === 'starting') state.phase = 'ready';
    logger.info({ backend: created.info.backend, simd: created.info.simd, workers: config.poolSize }, 'models loaded');
  });

  const stop = async (): Promise<void> => {
    state.phase = 'stopping';
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
    await Promise.race([closed, grace]);
    server.closeAllConnections();
    await ready.catch(() => undefined);
    await pool?.close();
  };

  return { server, state, logger, ready, stop };
}
