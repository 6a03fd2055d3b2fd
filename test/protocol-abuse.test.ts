import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody, parseRawResponse, rawExchange, requestHead, type RawResponse } from './raw-http.js';
import { readSample } from './samples.js';
import { startTestService, type TestService } from './service.js';

/** Issue 13, item 7: Node's own answers become problem+json, CONNECT is answered, pipelining keeps answers. */
let svc: TestService;
let port: number;
beforeAll(async () => {
  svc = await startTestService();
  port = (svc.service.server.address() as AddressInfo).port;
});
afterAll(async () => { await svc?.close(); });

function expectProblem(res: RawResponse, status: number, code: string): void {
  expect(res.status, res.raw.slice(0, 300)).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(JSON.parse(res.body)).toMatchObject({ status, code });
}

/** Splits the server's output into consecutive responses (each with a Content-Length body). */
function responses(raw: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(rest.slice(0, headEnd))?.[1] ?? 0);
    out.push(parseRawResponse(rest.slice(0, headEnd + 4 + length)));
    rest = rest.slice(headEnd + 4 + length);
  }
  return out;
}

describe('requests Node answers by itself', () => {
  it('HTTP/1.1 without Host: 400 problem+json with no-store', async () => {
    const { response } = rawExchange(port, ['GET /healthz HTTP/1.1\r\n\r\n']);
    const res = await response;
    expectProblem(res, 400, 'bad_request');
    expect(JSON.parse(res.body).detail).toMatch(/Host header/);
  });

  it('HTTP/1.0 without Host is still served', async () => {
    const { response } = rawExchange(port, ['GET /healthz HTTP/1.0\r\n\r\n']);
    expect((await response).status).toBe(200);
  });

  it('Expect other than 100-continue: 417 problem+json with no-store', async () => {
    const { response } = rawExchange(port, [requestHead('/v1/landmarks', { Expect: 'something-else', 'Content-Length': 10 })]);
    expectProblem(await response, 417, 'expectation_failed');
  });

  it('CONNECT: 405 problem+json, then the connection closes', async () => {
    const { response } = rawExchange(port, ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n']);
    const res = await response;
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toContain('POST');
  });
});

describe('pipelining', () => {
  it('a valid upload followed by garbage in the same write: the upload gets its 200, then the garbage its 400', async () => {
    const boundary = 'pipelined-boundary';
    const body = multipartBody(boundary, [{ name: 'image', filename: 'photo.jpg', contentType: 'image/jpeg', data: readSample(1) }]);
    const head = requestHead('/v1/landmarks', { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length });
    const write = Buffer.concat([Buffer.from(head, 'latin1'), body, Buffer.from('\x00\x01GARBAGE \xff\r\n\r\n', 'latin1')]);
    const { response } = rawExchange(port, [write]);
    const all = responses((await response).raw);
    expect(all.map((r) => r.status)).toEqual([200, 400]);
    expect(JSON.parse(all[0]!.body).faces.length).toBeGreaterThan(0);
    expectProblem(all[1]!, 400, 'bad_request');
  });
});
