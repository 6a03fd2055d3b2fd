/* global fetch, FormData, Blob */
// Shared by the scripts: the real service, in-process, on an ephemeral loopback port (compiled dist/).
import '../dist/src/privacy/native-env.js';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadConfig } from '../dist/src/config.js';
import { startService } from '../dist/src/main.js';

const require = createRequire(import.meta.url);
export const SAMPLE_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

// A one-off key for the service these scripts start, with limits they never reach.
const KEY = `mk_script_${randomBytes(18).toString('hex')}`;
const KEY_ENV = { API_KEYS: `script:${KEY}`, RATE_LIMIT_RPS: '100000', RATE_LIMIT_BURST: '100000', DAILY_QUOTA: '1000000000', MAX_UPLOADS_PER_CLIENT: '100000' };

/**
 * The built service in a process of its own, as `npm start` runs it (tools/bench/server-process.ts),
 * with the same one-off key: for timings that must not share a process with the measuring nets.
 */
export async function startProcess(env = {}) {
  const { startServerProcess } = await import('../dist/tools/bench/server-process.js');
  const server = await startServerProcess({ TFJS_BACKEND: 'wasm', ...KEY_ENV, ...env });
  return { url: server.url, close: () => server.stop() };
}

export async function startLocal(env = {}) {
  const config = loadConfig({ TFJS_BACKEND: 'wasm', POOL_SIZE: '1', LOG_LEVEL: 'silent', ...KEY_ENV, ...env, PORT: '0', HOST: '127.0.0.1' });
  const service = await startService(config);
  await service.ready;
  const { port } = service.server.address();
  return { url: `http://127.0.0.1:${port}`, service, close: () => service.stop() };
}

export async function postEffect(url, id, bytes, fields = {}) {
  const form = new FormData();
  form.append('image', new Blob([bytes]), 'photo.jpg');
  for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
  return fetch(`${url}/v1/effects/${id}`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${KEY}` } });
}
