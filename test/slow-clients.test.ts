import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectorPool } from '../src/faces/detector-pool.js';
import { isZeroed, type Wipeable } from '../src/privacy/wipe-ledger.js';
import { readSample } from './samples.js';
import { postImage, startTestService, TEST_API_KEY, type TestService } from './service.js';

/**
 * Clients that trickle bytes are cut off with 408 by Node's own timers (headersTimeout for the
 * header block, requestTimeout for the whole request), while normal requests keep being served
 * and no worker is ever held by a request whose body has not arrived. The body *idle* timeout
 * (a pause between chunks) is tested with the other input limits; here each trickle is frequent
 * enough never to trip it.
 */
let svc: TestService;
const wiped: Wipeable[][] = [];
beforeAll(async () => {
  svc = await startTestService(
    // No minimum upload rate here: these cases are about Node's own timers (see slow-uploads.test.ts).
    { POOL_SIZE: '1', HEADERS_TIMEOUT_MS: '1000', BODY_TIMEOUT_MS: '3000', BODY_IDLE_TIMEOUT_MS: '10000', MIN_UPLOAD_BYTES_PER_S: '0' },
    { ledgerObserver: { onWiped: (buffers) => wiped.push([...buffers]) } },
  );
});
afterAll(async () => { await svc?.close(); });

interface Trickler {
  /** Everything the server sent before it closed the connection. */
  readonly closed: Promise<string>;
  stillOpen(): boolean;
}

/** Sends `head` (and `bodyStart`), then one more byte from `drip` every 100 ms until the server hangs up. */
function trickle(head: string, drip: (i: number) => string, bodyStart = Buffer.alloc(0)): Trickler {
  const { port } = new URL(svc.url);
  const socket: Socket = connect(Number(port), '127.0.0.1');
  let received = '';
  let open = true;
  let i = 0;
  const timer = setInterval(() => {
    if (open && socket.writable) socket.write(drip(i++));
  }, 100);
  const closed = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => { received += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      open = false;
      clearInterval(timer);
      resolve(received);
    });
  });
  socket.write(head);
  if (bodyStart.length > 0) socket.write(bodyStart);
  return { closed, stillOpen: () => open };
}

function poolStats(): ReturnType<DetectorPool['stats']> {
  return (svc.service.state.detector as DetectorPool).stats();
}

describe('slow clients', () => {
  it('a client trickling its headers gets 408 (headersTimeout) while a normal request is answered', async () => {
    const slow = trickle(`POST /v1/landmarks HTTP/1.1\r\nHost: 127.0.0.1\r\n`, (i) => `X-Slow-${i}: a\r\n`);
    const normal = await postImage(`${svc.url}/v1/landmarks`, readSample(1));
    expect(normal.status).toBe(200);
    expect(((await normal.json()) as { faces: unknown[] }).faces).toHaveLength(3);
    const answer = await slow.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(poolStats()).toMatchObject({ busy: 0, queued: 0 });
  });

  it('a client trickling its body gets 408 (requestTimeout), holds no worker, and its partial upload is wiped', async () => {
    const photo = readSample(2);
    const boundary = 'slowclientboundary';
    const preamble = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    const total = preamble.length + photo.length + `\r\n--${boundary}--\r\n`.length;
    const wipedBefore = wiped.length;
    const slow = trickle(
      `POST /v1/landmarks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${total}\r\n\r\n`,
      (i) => String.fromCharCode(photo[4096 + i] ?? 0),
      Buffer.concat([preamble, photo.subarray(0, 4096)]),
    );
    // Normal requests are served meanwhile; the pool is idle once they are done, since the
    // slow request cannot reach admission before its body has arrived.
    for (const n of [3, 4]) {
      const normal = await postImage(`${svc.url}/v1/landmarks`, readSample(n));
      expect(normal.status).toBe(200);
      await normal.arrayBuffer();
      expect(poolStats()).toMatchObject({ busy: 0, queued: 0 });
    }
    const answer = await slow.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.stillOpen()).toBe(false);
    // Three ledgers closed since: two normal requests and the slow one, every buffer zeroed.
    for (let i = 0; i < 300 && wiped.length < wipedBefore + 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(wiped.length).toBe(wipedBefore + 3);
    expect(wiped.slice(wipedBefore).flat().every(isZeroed)).toBe(true);
  });
});
