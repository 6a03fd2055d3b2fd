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
  /** The selfie cascade: BlazeFace gate, close-ups on a smaller SSD, rescue, upright landmarks, sideways retry, pose and quality. */
  readonly faceCascade: boolean;
  /** SSD's input size for close-ups (the gate's verdict); 512 for everything else. */
  readonly closeUpSsdSize: number;
  /** Inference worker threads, each with its own model set. */
  readonly poolSize: number;
  /** Jobs that may wait per worker before the pool refuses more. */
  readonly queueDepth: number;
  /** Requests allowed past the upload stage at once; beyond it: 503 overloaded. */
  readonly maxInFlight: number;
  /** Uploads being received at once; beyond it: 503 overloaded before buffering anything. */
  readonly maxConcurrentUploads: number;
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
  /** Output long edge of an effect when the request gives no maxSize. */
  readonly effectDefaultSize: number;
  /** Largest maxSize a request may ask for (also bounds the decoded copy of the photo). */
  readonly effectMaxSize: number;
  /** A face whose box is narrower than this, in pixels of the uploaded photo, is not composited. */
  readonly effectMinFacePx: number;
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
    faceCascade: r.oneOf('FACE_CASCADE', 'on', ['on', 'off']) === 'on',
    // 256: on the 199 selfie crops of test/accuracy.test.ts it finds as many faces as 320 (198) with the
    // same median landmark error (0.047), at about 0.77× the detection CPU of 320 (0.42× of SSD@512).
    closeUpSsdSize: Number(r.oneOf('CLOSEUP_SSD_SIZE', '256', ['256', '320', '384', '448', '512'])),
    poolSize,
    queueDepth,
    // Each worker holds one running job plus QUEUE_DEPTH waiting ones.
    maxInFlight: r.int('MAX_IN_FLIGHT', poolSize * (1 + queueDepth), 1, 100_000),
    maxConcurrentUploads: r.int('MAX_CONCURRENT_UPLOADS', Math.max(8, poolSize * (1 + queueDepth) * 2), 1, 100_000),
    retryAfterMaxS: r.int('RETRY_AFTER_MAX_S', 10, 1, 3600),
    requestTimeoutMs,
    headersTimeoutMs: r.int('HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    bodyTimeoutMs: r.int('BODY_TIMEOUT_MS', 60_000, 100, 3_600_000),
    bodyIdleTimeoutMs: r.int('BODY_IDLE_TIMEOUT_MS', 5_000, 50, 600_000),
    shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 20_000, 0, 600_000),
    sharpConcurrency: r.int('SHARP_CONCURRENCY', 1, 0, 64),
    templatesDir: r.str('TEMPLATES_DIR', 'models/templates'),
    effectDefaultSize: r.int('EFFECT_DEFAULT_SIZE', 1024, 64, 8192),
    effectMaxSize: r.int('EFFECT_MAX_SIZE', 2048, 64, 8192),
    effectMinFacePx: r.int('EFFECT_MIN_FACE_PX', 40, 8, 4096),
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
  if (config.effectDefaultSize > config.effectMaxSize) {
    r.problems.push(`Expected EFFECT_DEFAULT_SIZE (${config.effectDefaultSize}) to be at most EFFECT_MAX_SIZE (${config.effectMaxSize})`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}
