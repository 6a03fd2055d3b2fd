import { Redis } from 'ioredis';

/**
 * The Redis connection behind shared rate limits. Commands never queue while Redis is away
 * (enableOfflineQueue off) and never wait longer than `timeoutMs`, so a dead Redis costs a
 * request at most that long before the limiter falls back to the replica's own memory.
 * Reconnects forever with a capped backoff. State changes are reported once each, not per error.
 */
export interface RedisStore {
  readonly client: Redis;
  isUp(): boolean;
  close(): Promise<void>;
}

export interface RedisStoreEvents {
  onDown(reason: string): void;
  onUp(): void;
}

export function connectRedis(url: string, timeoutMs: number, events: RedisStoreEvents): RedisStore {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(1000, timeoutMs),
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  let up = false;
  let reportedDown = false;
  const down = (reason: string): void => {
    const wasUp = up;
    up = false;
    if (wasUp || !reportedDown) {
      reportedDown = true;
      events.onDown(reason);
    }
  };
  client.on('ready', () => {
    up = true;
    reportedDown = false;
    events.onUp();
  });
  // Only the error's code/class is reported: the URL (with a password) never reaches the logs.
  client.on('error', (error: NodeJS.ErrnoException) => down(error.code ?? error.name));
  client.on('close', () => { if (up) down('connection closed'); });
  return {
    client,
    isUp: () => up,
    async close() {
      client.disconnect();
    },
  };
}
