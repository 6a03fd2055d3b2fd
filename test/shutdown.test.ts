import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readSample } from './samples.js';
import { authHeaders, postImage } from './service.js';
import { spawnServer } from './spawned-server.js';

/**
 * Graceful shutdown of the built server (node dist/src/server.js, as production runs it): SIGTERM
 * while a request is in flight. The in-flight request is held mid-upload by this test (it sends
 * half its body, then waits), so "in flight during shutdown" is a fact, not a race.
 */
/** A multipart upload of `photo` whose body is sent in two halves, the second on demand. */
function heldUpload(url: string, photo: Buffer) {
  const boundary = 'mayfly-shutdown-test-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    photo,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const target = new URL('/v1/landmarks', url);
  const req = request({
    host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
    headers: { ...authHeaders(), 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.subarray(0, half));
  return { answer, finish: () => req.end(body.subarray(half)) };
}

async function openRequests(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('mayfly_requests_open '));
  return Number(line?.split(' ')[1]);
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!(await check())) throw new Error('condition not reached');
}

describe('graceful shutdown on SIGTERM', () => {
  it('finishes the in-flight request, reports 503 on /readyz, refuses new work, wipes everything, exits 0', async () => {
    const server = await spawnServer({ SHUTDOWN_GRACE_MS: '60000', BODY_IDLE_TIMEOUT_MS: '60000' });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const held = heldUpload(server.url, readSample(3));
      await until(async () => (await openRequests(server.metricsUrl)) === 1);

      server.child.kill('SIGTERM');
      expect(await server.waitForLog('draining')).toMatchObject({ open: 1, graceMs: 60000 });

      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'stopping' });
      const refused = await postImage(`${server.url}/v1/landmarks`, readSample(1));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ code: 'shutting_down' });

      held.finish();
      const answer = await held.answer;
      expect(answer.status).toBe(200);
      expect((JSON.parse(answer.body) as { faces: unknown[] }).faces).toHaveLength(3);

      expect(await server.exited).toBe(0);
      expect(server.logs.find((l) => l.msg === 'stopped')).toMatchObject({ drained: true, unfinished: 0, openLedgers: 0 });
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('past SHUTDOWN_GRACE_MS, cuts what is still running, wipes its buffers and still exits 0', async () => {
    const server = await spawnServer({ SHUTDOWN_GRACE_MS: '500', BODY_IDLE_TIMEOUT_MS: '60000' });
    try {
      const held = heldUpload(server.url, readSample(3));
      await until(async () => (await openRequests(server.metricsUrl)) === 1);
      server.child.kill('SIGTERM');
      // The client never sends the rest: the grace period runs out.
      await expect(held.answer).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(await server.exited).toBe(0);
      expect(server.logs.find((l) => l.msg === 'stopped')).toMatchObject({ drained: false, unfinished: 1, openLedgers: 0 });
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
