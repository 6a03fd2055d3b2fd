import { availableParallelism } from 'node:os';

/**
 * One typed, frozen Config read from the environment. Every bound the service has lives here
 * with its env name and default (the README's configuration table mirrors this file).
 * Validation collects every problem and reports them together, so a bad deployment fails at
 * boot with one complete message instead of one error per restart.
 */

export type TfjsBackendChoice = 'auto' | 'tensorflow' | 'wasm';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly tfjsBackend: TfjsBackendChoice;
  /** Largest accepted upload (bytes of the file part). */
  readonly maxUploadBytes: number;
  /** Largest accepted image, in pixels, judged from the header before any decoding. */
  readonly maxInputPixels: number;
  /** Long edge of the copy the detector sees (shrink-on-load); coordinates are mapped back. */
  readonly detectMaxSide: number;
  /** Minimum detector confidence for a face to be reported. */
  readonly minFaceScore: number;
  /** Most faces reported per image (the detector keeps the most confident ones). */
  readonly maxFaces: number;
  /** Inference worker threads, each with its own model set. */
  readonly poolSize: number;
  /** Jobs that may wait per worker before the pool refuses more. */
  readonly queueDepth: number;
  /** Requests allowed past the upload stage at once; beyond it: 503 overloaded. */
  readonly maxInFlight: number;
  /** Uploads being received at once; beyond it: 503 overloaded before buffering anything. */
  readonly maxConcurrentUploads: number;
  /** Deadline for one request from admission to the answer. */
  readonly requestTimeoutMs: number;
  /** Time a client has to send all request headers. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request (headers and body). */
  readonly bodyTimeoutMs: number;
  /** Longest pause allowed between two body chunks of an upload. */
  readonly bodyIdleTimeoutMs: number;
  /** Grace for in-flight work on SIGTERM before the process exits anyway. */
  readonly shutdownGraceMs: number;
  /** libvips worker threads per image operation (sharp.concurrency). */
  readonly sharpConcurrency: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads settings one by one, remembering every problem instead of throwing at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw.trim());
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`Expected an integer between ${min} and ${max} for ${name} but received ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  }

  num(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw.trim());
    if (!Number.isFinite(value) || value < min || value > max) {
      this.problems.push(`Expected a number between ${min} and ${max} for ${name} but received ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = raw.trim() as T;
    if (!allowed.includes(value)) {
      this.problems.push(`Expected one of ${allowed.join('|')} for ${name} but received ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  }

  str(name: string, fallback: string): string {
    const raw = this.env[name];
    return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  }
}

const MiB = 1024 * 1024;

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const cores = Math.max(1, availableParallelism());
  const poolSize = r.int('POOL_SIZE', cores, 1, 64);
  const queueDepth = r.int('QUEUE_DEPTH', 2, 0, 1000);
  const requestTimeoutMs = r.int('REQUEST_TIMEOUT_MS', 15_000, 100, 600_000);
  const config: Config = {
    port: r.int('PORT', 8080, 0, 65535),
    host: r.str('HOST', '0.0.0.0'),
    tfjsBackend: r.oneOf<TfjsBackendChoice>('TFJS_BACKEND', 'auto', ['auto', 'tensorflow', 'wasm']),
    maxUploadBytes: r.int('MAX_UPLOAD_BYTES', 15 * MiB, 1024, 512 * MiB),
    // 50 MP: a 48 MP phone photo (8064×6048 = 48.8 MP) passes, a decompression bomb does not.
    maxInputPixels: r.int('MAX_INPUT_PIXELS', 50_000_000, 1, 1_000_000_000),
    // 512 = SSD MobileNet v1's own input size: no resize inside the net, one tensor shape for
    // every request (stable wasm heap); landmark accuracy measured by test/accuracy.test.ts.
    detectMaxSide: r.int('DETECT_MAX_SIDE', 512, 128, 4096),
    minFaceScore: r.num('MIN_FACE_SCORE', 0.5, 0.05, 0.99),
    maxFaces: r.int('MAX_FACES', 20, 1, 100),
    poolSize,
    queueDepth,
    // Each worker holds one running job plus QUEUE_DEPTH waiting ones.
    maxInFlight: r.int('MAX_IN_FLIGHT', poolSize * (1 + queueDepth), 1, 100_000),
    maxConcurrentUploads: r.int('MAX_CONCURRENT_UPLOADS', Math.max(8, poolSize * (1 + queueDepth) * 2), 1, 100_000),
    requestTimeoutMs,
    headersTimeoutMs: r.int('HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    bodyTimeoutMs: r.int('BODY_TIMEOUT_MS', 60_000, 100, 3_600_000),
    bodyIdleTimeoutMs: r.int('BODY_IDLE_TIMEOUT_MS', 5_000, 50, 600_000),
    shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 20_000, 0, 600_000),
    sharpConcurrency: r.int('SHARP_CONCURRENCY', 1, 0, 64),
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  };
  if (config.headersTimeoutMs > config.bodyTimeoutMs) {
    r.problems.push(`Expected HEADERS_TIMEOUT_MS (${config.headersTimeoutMs}) to be at most BODY_TIMEOUT_MS (${config.bodyTimeoutMs})`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}
