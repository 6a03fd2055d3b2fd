import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { readinessBody } from '../src/http/schemas/health.js';
import { startService } from '../src/main.js';
import { startTestService, TEST_ENV } from './service.js';

/** Issue 13, item 6: the backend that zeroes tensor memory is the default; the other is a warned opt-in. */
describe('TFJS_BACKEND', () => {
  it('defaults to wasm, accepts tensorflow, refuses the old auto with a reason', () => {
    expect(loadConfig({}).tfjsBackend).toBe('wasm');
    expect(loadConfig({ TFJS_BACKEND: 'tensorflow' }).tfjsBackend).toBe('tensorflow');
    expect(() => loadConfig({ TFJS_BACKEND: 'auto' })).toThrow(ConfigError);
    expect(() => loadConfig({ TFJS_BACKEND: 'auto' })).toThrow(/no longer accepted.*wasm/);
  });

  it('wasm: /readyz reports "tensorWipe": true', async () => {
    const svc = await startTestService();
    try {
      const res = await fetch(`${svc.url}/readyz`);
      const body = readinessBody.parse(await res.json());
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ status: 'ready', backend: 'wasm', tensorWipe: true });
    } finally {
      await svc.close();
    }
  });

  it('tensorflow: a privacy warning at start, and /readyz never claims the wipe', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
    const config = loadConfig({ ...TEST_ENV, TFJS_BACKEND: 'tensorflow', POOL_SIZE: '1', PORT: '0', HOST: '127.0.0.1' });
    const service = await startService(config, { logger: pino({ level: 'warn' }, sink) });
    // tfjs-node may or may not be installed here (it needs a download at install): either way
    // the warning comes first, and readiness reports no wipe (false when loaded, null before).
    const loaded = await service.ready.then(() => true, () => false);
    try {
      const warning = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('PRIVACY: TFJS_BACKEND=tensorflow'));
      expect(warning).toMatchObject({ level: 40, tensorWipe: false });
      const { port } = service.server.address() as { port: number };
      const body = readinessBody.parse(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json());
      expect(body.tensorWipe).toBe(loaded ? false : null);
    } finally {
      await service.stop();
    }
  });
});
