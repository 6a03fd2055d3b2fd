import { availableParallelism } from 'node:os';
import { defaultMemoryBudgetBytes, readContainerMemoryLimit } from './limits/container-memory.js';

/**
 * One typed, frozen Config read from the environment. Every bound the service has lives here
 * with its env name and default (docs/configuration.md lists them; test/docs.test.ts keeps it complete).
 * Validation collects every problem and reports them together, so a bad deployment fails at
 * boot with one complete message instead of one error per restart.
 */

/**
 * wasm (default) is the proven path: tensor memory is zeroed on dispose (faces/wasm-heap-wipe.ts)
 * and the lean SSD pass is tested on it. tensorflow (tfjs-node) is an explicit opt-in whose
 * tensor memory lives in libtensorflow, unwiped: the service warns at start and /readyz says
 * "tensorWipe": false. The former `auto` is refused: it made that choice silently, depending on
 * whether a native package happened to install.
 */
export type TfjsBackendChoice = 'tensorflow' | 'wasm';

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
  /** The selfie cascade: BlazeFace gate, close-ups on a smaller SSD, rescue, upright landmarks, sideways retry, pose and quality. */
  readonly faceCascade: boolean;
  /** SSD's input size for close-ups (the gate's verdict); 512 for everything else. */
  readonly closeUpSsdSize: number;
  /** Inference worker threads, each with its own model set. */
  readonly poolSize: number;
  /** Jobs that may wait per worker before the pool refuses more. */
  readonly queueDepth: number;
  /**
   * Process-wide budget of decode memory (bytes) that admitted requests' estimated decode costs
   * must fit in (imaging/decode-cost.ts); a request costing more than all of it: 413.
   */
  readonly memoryBudgetBytes: number;
  /** Most estimated decode memory one request may need (at most the budget); beyond it: 413 image_too_large. */
  readonly maxDecodeBytes: number;
  /** Requests allowed past the upload stage at once; beyond it: 503 overloaded. */
  readonly maxInFlight: number;
  /** Uploads being received at once; beyond it: 503 overloaded before buffering anything. */
  readonly maxConcurrentUploads: number;
  /** Uploads one client address may have in progress at once (TRUST_PROXY_HOPS decides the address). */
  readonly maxUploadsPerClient: number;
  /** Slowest average upload rate accepted once the grace has passed; 0: no minimum. */
  readonly minUploadBytesPerS: number;
  /** Time an upload has before its average rate is judged against MIN_UPLOAD_BYTES_PER_S. */
  readonly uploadRateGraceMs: number;
  /** Upper bound of the Retry-After of 503 overloaded (it follows the load; see http/retry-after.ts). */
  readonly retryAfterMaxS: number;
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
  /** Folder of the templates (one sub-folder per template with its template.json). */
  readonly templatesDir: string;
  /** Bytes of template art derived per output size (scaled art) kept at once, least recently used dropped. */
  readonly templateCacheBytes: number;
  /** Output long edge of an effect when the request gives no maxSize. */
  readonly effectDefaultSize: number;
  /** Largest maxSize a request may ask for (also bounds the decoded copy of the photo). */
  readonly effectMaxSize: number;
  /** A face whose box is narrower than this, in pixels of the uploaded photo, is not composited. */
  readonly effectMinFacePx: number;
  /** Face swap: a user's face turned further than this (degrees of yaw, the detector's pose fit, src/faces/pose.ts) gets 422 face_pose_unsupported. */
  readonly swapMaxYawDegrees: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Partner API keys from API_KEYS (`id:key,id:key`); every key gets every scope and the default limits. */
  readonly apiKeys: readonly ApiKeyEntry[];
  /** JSON file of hashed keys with per-key scopes and limits (see src/auth/key-file.ts). */
  readonly apiKeysFile: string | undefined;
  /** Mobile-app JWTs: HS256 secret, or an RS256/ES256 public key (PEM); undefined when off. */
  readonly jwt: JwtSettings | undefined;
  /** Sustained requests per second per key (or per JWT subject). */
  readonly rateLimitRps: number;
  /** Extra requests a key may make above RATE_LIMIT_RPS within one burst window. */
  readonly rateLimitBurst: number;
  readonly rateLimitBurstWindowS: number;
  /** Requests per key per 24-hour window. */
  readonly dailyQuota: number;
  /** Shared limits for every replica; in-memory (per replica) limits when undefined. */
  readonly redisUrl: string | undefined;
  /** Longest wait for one Redis command before the replica falls back to its own in-memory limits. */
  readonly redisTimeoutMs: number;
  /** Bearer token that /metrics requires on the main port. */
  readonly metricsToken: string | undefined;
  /** Separate port serving only /metrics (no token needed there); undefined: none. */
  readonly metricsPort: number | undefined;
  /** Origins allowed by CORS (exact `scheme://host[:port]`, or `*`); empty: no CORS headers. */
  readonly corsOrigins: readonly string[];
  /** Proxy hops in front of the service whose X-Forwarded-For is trusted (express 'trust proxy'). */
  readonly trustProxyHops: number;
}

export interface ApiKeyEntry {
  readonly id: string;
  readonly key: string;
}

export interface JwtSettings {
  readonly algorithm: 'HS256' | 'RS256' | 'ES256';
  /** The HS256 secret, or the PEM public key. */
  readonly key: string;
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceS: number;
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** API keys shorter than this are refused at boot: they could be guessed. */
export const MIN_API_KEY_LENGTH = 24;

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

  tfjsBackend(): TfjsBackendChoice {
    if (this.env.TFJS_BACKEND?.trim() === 'auto') {
      this.problems.push('TFJS_BACKEND=auto is no longer accepted (it picked the unwiped tfjs-node backend wherever that installed): use wasm (the default), or tensorflow to opt in knowingly');
      return 'wasm';
    }
    return this.oneOf<TfjsBackendChoice>('TFJS_BACKEND', 'wasm', ['wasm', 'tensorflow']);
  }

  str(name: string, fallback: string): string {
    const raw = this.env[name];
    return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  }

  optional(name: string): string | undefined {
    const raw = this.env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    return this.optional(name) === undefined ? undefined : this.int(name, min, min, max);
  }

  /** `API_KEYS`: comma-separated `id:key` pairs. Only the ids are ever echoed in problems. */
  apiKeys(name: string): ApiKeyEntry[] {
    const raw = this.optional(name);
    if (raw === undefined) return [];
    const entries: ApiKeyEntry[] = [];
    for (const [i, pair] of raw.split(',').entries()) {
      const at = pair.indexOf(':');
      const id = at > 0 ? pair.slice(0, at).trim() : '';
      const key = at > 0 ? pair.slice(at + 1).trim() : '';
      if (!KEY_ID_PATTERN.test(id)) {
        this.problems.push(`Expected id:key with an id of [A-Za-z0-9_.-]{1,64} for entry ${i + 1} of ${name}`);
      } else if (key.length < MIN_API_KEY_LENGTH || /[\s,]/.test(key)) {
        this.problems.push(`Expected a key of at least ${MIN_API_KEY_LENGTH} characters without spaces for id "${id}" in ${name}`);
      } else if (entries.some((e) => e.id === id)) {
        this.problems.push(`Expected unique ids in ${name} but "${id}" appears twice`);
      } else {
        entries.push({ id, key });
      }
    }
    return entries;
  }

  origins(name: string): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return [];
    const origins = raw.split(',').map((o) => o.trim()).filter((o) => o !== '');
    for (const origin of origins) {
      if (origin !== '*' && !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
        this.problems.push(`Expected origins like https://app.example.com (or *) in ${name} but received ${JSON.stringify(origin)}`);
      }
    }
    return origins;
  }

  jwt(): JwtSettings | undefined {
    const secret = this.optional('JWT_SECRET');
    // PEM keys in env files often carry literal \n; accept both forms.
    const publicKey = this.optional('JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n');
    const issuer = this.optional('JWT_ISSUER');
    const audience = this.optional('JWT_AUDIENCE');
    const clockToleranceS = this.int('JWT_CLOCK_TOLERANCE_S', 30, 0, 600);
    if (secret === undefined && publicKey === undefined) {
      if (issuer !== undefined || audience !== undefined) this.problems.push('JWT_ISSUER/JWT_AUDIENCE are set but neither JWT_SECRET nor JWT_PUBLIC_KEY is');
      return undefined;
    }
    if (secret !== undefined && publicKey !== undefined) {
      this.problems.push('Expected only one of JWT_SECRET and JWT_PUBLIC_KEY');
    }
    if (issuer === undefined || audience === undefined) {
      this.problems.push('Expected JWT_ISSUER and JWT_AUDIENCE when JWT verification is on (tokens are checked for both)');
    }
    if (secret !== undefined && Buffer.byteLength(secret) < 32) {
      this.problems.push('Expected JWT_SECRET of at least 32 bytes (HS256)');
    }
    if (publicKey !== undefined && !publicKey.includes('-----BEGIN PUBLIC KEY-----')) {
      this.problems.push('Expected JWT_PUBLIC_KEY as a PEM "BEGIN PUBLIC KEY" block');
    }
    const algorithm = secret !== undefined
      ? this.oneOf('JWT_ALGORITHM', 'HS256', ['HS256'])
      : this.oneOf('JWT_ALGORITHM', 'RS256', ['RS256', 'ES256']);
    return { algorithm, key: secret ?? publicKey ?? '', issuer: issuer ?? '', audience: audience ?? '', clockToleranceS };
  }
}

const MiB = 1024 * 1024;

/** `containerMemoryLimit`: bytes of the cgroup memory limit (read from /sys unless given), for MEMORY_BUDGET_MB's default. */
export function loadConfig(env: Env = process.env, containerMemoryLimit: number | undefined = readContainerMemoryLimit()): Config {
  const r = new Reader(env);
  const cores = Math.max(1, availableParallelism());
  const poolSize = r.int('POOL_SIZE', cores, 1, 64);
  const queueDepth = r.int('QUEUE_DEPTH', 2, 0, 1000);
  const requestTimeoutMs = r.int('REQUEST_TIMEOUT_MS', 15_000, 100, 600_000);
  const memoryBudgetBytes = r.int('MEMORY_BUDGET_MB', Math.round(defaultMemoryBudgetBytes(containerMemoryLimit) / MiB), 16, 1_048_576) * MiB;
  // Many: an upload in progress holds only the bytes it has sent (charged to MEMORY_BUDGET_MB as
  // they arrive), so slow clients spread over many addresses cannot take every slot.
  const maxConcurrentUploads = r.int('MAX_CONCURRENT_UPLOADS', 128, 1, 100_000);
  const config: Config = {
    port: r.int('PORT', 8080, 0, 65535),
    host: r.str('HOST', '0.0.0.0'),
    tfjsBackend: r.tfjsBackend(),
    maxUploadBytes: r.int('MAX_UPLOAD_BYTES', 15 * MiB, 1024, 512 * MiB),
    // 50 MP: a 48 MP phone photo (8064×6048 = 48.8 MP) passes, a decompression bomb does not.
    maxInputPixels: r.int('MAX_INPUT_PIXELS', 50_000_000, 1, 1_000_000_000),
    // 512 = SSD MobileNet v1's own input size: no resize inside the net, one tensor shape for
    // every request (stable wasm heap); landmark accuracy measured by test/accuracy.test.ts.
    detectMaxSide: r.int('DETECT_MAX_SIDE', 512, 128, 4096),
    minFaceScore: r.num('MIN_FACE_SCORE', 0.5, 0.05, 0.99),
    maxFaces: r.int('MAX_FACES', 20, 1, 100),
    faceCascade: r.oneOf('FACE_CASCADE', 'on', ['on', 'off']) === 'on',
    // 256: on the 199 selfie crops of test/accuracy.test.ts it finds as many faces as 320 (198) with the
    // same median landmark error (0.047), at about 0.77× the detection CPU of 320 (0.42× of SSD@512).
    closeUpSsdSize: Number(r.oneOf('CLOSEUP_SSD_SIZE', '256', ['256', '320', '384', '448', '512'])),
    poolSize,
    queueDepth,
    // Default: 80 % of what the container's memory limit leaves above a 640 MiB baseline, or 384 MiB without a limit.
    memoryBudgetBytes,
    // 150 MiB: no upload raises the process by more than that (an AVIF above ~8 MP or a
    // progressive JPEG above ~40 MP needs more, and is refused with 413 and advice).
    maxDecodeBytes: r.int('MAX_DECODE_MB', Math.min(150, memoryBudgetBytes / MiB), 16, 1_048_576) * MiB,
    // Each worker holds one running job plus QUEUE_DEPTH waiting ones.
    maxInFlight: r.int('MAX_IN_FLIGHT', poolSize * (1 + queueDepth), 1, 100_000),
    maxConcurrentUploads,
    retryAfterMaxS: r.int('RETRY_AFTER_MAX_S', 10, 1, 3600),
    // A quarter of the upload slots per address by default: one client cannot hold them all, while
    // a partner's backend behind one address still uploads several photos at once.
    maxUploadsPerClient: r.int('MAX_UPLOADS_PER_CLIENT', Math.max(1, Math.ceil(maxConcurrentUploads / 4)), 1, 100_000),
    // 16 KiB/s: a phone on a poor 3G link still uploads a 3 MB photo at 50–100 KiB/s; a client
    // holding a slot with a trickle is cut after the grace instead of after BODY_TIMEOUT_MS.
    minUploadBytesPerS: r.int('MIN_UPLOAD_BYTES_PER_S', 16 * 1024, 0, 1024 * MiB),
    uploadRateGraceMs: r.int('UPLOAD_RATE_GRACE_MS', 3_000, 100, 600_000),
    requestTimeoutMs,
    headersTimeoutMs: r.int('HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    bodyTimeoutMs: r.int('BODY_TIMEOUT_MS', 60_000, 100, 3_600_000),
    bodyIdleTimeoutMs: r.int('BODY_IDLE_TIMEOUT_MS', 5_000, 50, 600_000),
    shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 20_000, 0, 600_000),
    sharpConcurrency: r.int('SHARP_CONCURRENCY', 1, 0, 64),
    templatesDir: r.str('TEMPLATES_DIR', 'models/templates'),
    // About 16 scene-sized arts of ~1000 px (4 MB each as RGBA); the native art is kept besides.
    templateCacheBytes: r.int('TEMPLATE_CACHE_MB', 64, 1, 4096) * MiB,
    effectDefaultSize: r.int('EFFECT_DEFAULT_SIZE', 1024, 64, 8192),
    effectMaxSize: r.int('EFFECT_MAX_SIZE', 2048, 64, 8192),
    effectMinFacePx: r.int('EFFECT_MIN_FACE_PX', 40, 8, 4096),
    swapMaxYawDegrees: r.int('SWAP_MAX_YAW_DEGREES', 45, 5, 90),
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    apiKeys: r.apiKeys('API_KEYS'),
    apiKeysFile: r.optional('API_KEYS_FILE'),
    jwt: r.jwt(),
    rateLimitRps: r.int('RATE_LIMIT_RPS', 5, 1, 100_000),
    rateLimitBurst: r.int('RATE_LIMIT_BURST', 10, 0, 1_000_000),
    rateLimitBurstWindowS: r.int('RATE_LIMIT_BURST_WINDOW_S', 10, 1, 3600),
    dailyQuota: r.int('DAILY_QUOTA', 10_000, 1, 1_000_000_000),
    redisUrl: r.optional('REDIS_URL'),
    redisTimeoutMs: r.int('REDIS_TIMEOUT_MS', 250, 10, 10_000),
    metricsToken: r.optional('METRICS_TOKEN'),
    metricsPort: r.optionalInt('METRICS_PORT', 1, 65535),
    corsOrigins: r.origins('CORS_ORIGINS'),
    trustProxyHops: r.int('TRUST_PROXY_HOPS', 0, 0, 10),
  };
  if (config.redisUrl !== undefined && !/^rediss?:\/\//.test(config.redisUrl)) {
    r.problems.push('Expected REDIS_URL to start with redis:// or rediss://');
  }
  if (config.metricsToken !== undefined && config.metricsToken.length < 16) {
    r.problems.push('Expected METRICS_TOKEN of at least 16 characters');
  }
  if (config.metricsPort !== undefined && config.metricsPort === config.port) {
    r.problems.push(`Expected METRICS_PORT to differ from PORT (${config.port})`);
  }
  if (config.apiKeys.length > 0 && config.apiKeysFile !== undefined) {
    r.problems.push('Expected only one of API_KEYS and API_KEYS_FILE');
  }
  if (config.headersTimeoutMs > config.bodyTimeoutMs) {
    r.problems.push(`Expected HEADERS_TIMEOUT_MS (${config.headersTimeoutMs}) to be at most BODY_TIMEOUT_MS (${config.bodyTimeoutMs})`);
  }
  if (config.maxDecodeBytes > config.memoryBudgetBytes) {
    r.problems.push(`Expected MAX_DECODE_MB (${config.maxDecodeBytes / MiB}) to be at most MEMORY_BUDGET_MB (${config.memoryBudgetBytes / MiB})`);
  }
  if (config.effectDefaultSize > config.effectMaxSize) {
    r.problems.push(`Expected EFFECT_DEFAULT_SIZE (${config.effectDefaultSize}) to be at most EFFECT_MAX_SIZE (${config.effectMaxSize})`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}
