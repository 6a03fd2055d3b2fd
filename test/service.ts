import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { startService, type RunningService, type StartOptions } from '../src/main.js';

export interface TestService {
  readonly url: string;
  readonly service: RunningService;
  close(): Promise<void>;
}

/** The API key every test service accepts (id "test"), and postImage sends by default. */
export const TEST_API_KEY = 'mk_test_0123456789abcdefghijklmnop';
export const TEST_ENV: Readonly<Record<string, string>> = {
  API_KEYS: `test:${TEST_API_KEY}`,
  // Limits far above anything a test sends, so that only the rate-limit tests meet them.
  RATE_LIMIT_RPS: '10000',
  RATE_LIMIT_BURST: '10000',
  DAILY_QUOTA: '100000000',
  // Every test client is one address: only the tests of that cap meet it (slow-uploads.test.ts).
  MAX_UPLOADS_PER_CLIENT: '100000',
};

export function authHeaders(key = TEST_API_KEY): Record<string, string> {
  return { Authorization: `Bearer ${key}` };
}

/**
 * Starts the real service in-process on an ephemeral loopback port with real models
 * (wasm backend), and waits until it is ready. `env` overrides settings by their env names;
 * by default the service accepts TEST_API_KEY with limits no ordinary test reaches.
 */
export async function startTestService(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestService> {
  const config = loadConfig({ TFJS_BACKEND: 'wasm', POOL_SIZE: '1', LOG_LEVEL: 'silent', ...TEST_ENV, ...env, PORT: '0', HOST: '127.0.0.1' });
  const service = await startService(config, options);
  await service.ready;
  const { port } = service.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, service, close: () => service.stop() };
}

/** POSTs `bytes` as the multipart file field (default "image") plus any text fields, with the test key. */
export async function postImage(
  url: string, bytes: Uint8Array, fields: Record<string, string> = {}, field = 'image', filename = 'photo.jpg',
  headers: Record<string, string> = authHeaders(),
): Promise<Response> {
  const form = new FormData();
  form.append(field, new Blob([bytes]), filename);
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return fetch(url, { method: 'POST', body: form, headers });
}
