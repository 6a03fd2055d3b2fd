import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pino, type Logger } from 'pino';
import sharp from 'sharp';
import type { Config } from './config.js';
import { createDetectorPool, type DetectorPool } from './faces/detector-pool.js';
import { createApp, type ServiceState } from './http/app.js';
import { wipeSocketReads } from './privacy/socket-reads.js';
import type { LedgerObserver } from './privacy/wipe-ledger.js';

/**
 * Composition root: config → native settings → HTTP server (answering /healthz at once) →
 * models in the worker pool → ready. The only module that knows every other one.
 */
const require = createRequire(import.meta.url);
const version = (require('../package.json') as { version: string }).version;

export const FACE_API_MODEL_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

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
  wipeSocketReads(server);
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
  }).then((created) => {
    pool = created;
    state.detector = created;
    state.backend = created.info;
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
