import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody, rawExchange, requestHead, type RawResponse } from './raw-http.js';
import { readSample } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

/**
 * Slow and broken clients, over raw loopback sockets against the real service with small
 * timeouts: the idle timeout between body chunks (ours, 408 request_timeout), Node's own
 * headersTimeout/requestTimeout and parser errors (answered as problem+json by the
 * 'clientError' listener). Nothing here asserts durations: only what is answered.
 */
let svc: TestService;
let port: number;

beforeAll(async () => {
  svc = await startTestService({ BODY_IDLE_TIMEOUT_MS: '500', HEADERS_TIMEOUT_MS: '1000', BODY_TIMEOUT_MS: '3000' });
  port = (svc.service.server.address() as AddressInfo).port;
});
afterAll(async () => { await svc?.close(); });

function expectRawProblem(res: RawResponse, status: number, code: string): void {
  expect({ status: res.status, raw: res.raw.slice(0, 200) }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.connection).toBe('close');
  const body = JSON.parse(res.body) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `/problems/${code}` });
  expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
}

const upload = multipartBody('slow', [{ name: 'image', filename: 'a.jpg', contentType: 'image/jpeg', data: readSample(1) }]);
const uploadHead = requestHead('/v1/landmarks', { 'Content-Type': 'multipart/form-data; boundary=slow', 'Content-Length': upload.length });

describe('BODY_IDLE_TIMEOUT_MS: a client that stops sending mid-body', () => {
  it('gets 408 request_timeout and a closed connection, while a normal request is served meanwhile', async () => {
    const stalled = rawExchange(port, [uploadHead, upload.subarray(0, 20_000)]);
    // While that upload hangs, the service answers another client in full.
    const res = await postImage(`${svc.url}/v1/landmarks`, readSample(1));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { faces: unknown[] }).faces).toHaveLength(3);
    const answer = await stalled.response; // resolves when the server closes the socket
    expectRawProblem(answer, 408, 'request_timeout');
    expect(stalled.socket.destroyed).toBe(true);
  });

  it('headers then no body byte at all → 408 request_timeout', async () => {
    const answer = await rawExchange(port, [uploadHead]).response;
    expectRawProblem(answer, 408, 'request_timeout');
  });
});

describe('Node\'s own timeouts and parser errors, as problem+json', () => {
  it('HEADERS_TIMEOUT_MS: headers that never end → 408 request_timeout', async () => {
    const answer = await rawExchange(port, ['POST /v1/landmarks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty']).response;
    expectRawProblem(answer, 408, 'request_timeout');
  });

  it('BODY_TIMEOUT_MS: a body trickled faster than the idle timeout but never finished → 408', async () => {
    const exchange = rawExchange(port, [uploadHead, upload.subarray(0, 1000)]);
    let sent = 1000;
    // Bounded: at most 60 bytes, one every 200 ms (12 s), stops as soon as the server answers.
    const trickle = setInterval(() => {
      if (exchange.socket.destroyed || sent >= 1060) { clearInterval(trickle); return; }
      exchange.socket.write(upload.subarray(sent, sent + 1));
      sent += 1;
    }, 200);
    const answer = await exchange.response;
    clearInterval(trickle);
    expectRawProblem(answer, 408, 'request_timeout');
    expect(sent).toBeGreaterThan(1000);
  });

  it('an unparsable request line → 400 bad_request', async () => {
    const answer = await rawExchange(port, ['NOT HTTP AT ALL\r\n\r\n']).response;
    expectRawProblem(answer, 400, 'bad_request');
  });

  it('headers over Node\'s 16 KiB limit → 431 headers_too_large', async () => {
    const answer = await rawExchange(port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]).response;
    expectRawProblem(answer, 431, 'headers_too_large');
  });

  it('a client that hangs up mid-upload gets nothing and harms nothing', async () => {
    const exchange = rawExchange(port, [uploadHead, upload.subarray(0, 30_000)]);
    await new Promise((resolve) => exchange.socket.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    exchange.socket.destroy();
    expect((await exchange.response).status).toBe(0);
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
  });

  it('the service still answers afterwards', async () => {
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const res = await postImage(`${svc.url}/v1/landmarks`, readSample(2));
    expect(res.status).toBe(200);
  });
});
