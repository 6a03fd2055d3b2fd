import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isZeroed, type Wipeable } from '../src/privacy/wipe-ledger.js';
import { readSample } from './samples.js';
import { startTestService, TEST_API_KEY, type TestService } from './service.js';

/**
 * Slow uploads must not starve everyone: a client whose upload arrives slower than
 * MIN_UPLOAD_BYTES_PER_S is cut with 408 once UPLOAD_RATE_GRACE_MS has passed, and one client
 * address holds at most MAX_UPLOADS_PER_CLIENT upload slots. Counts, not timings, are asserted.
 */
let svc: TestService;
let port: number;
const wiped: Wipeable[][] = [];
beforeAll(async () => {
  svc = await startTestService(
    { POOL_SIZE: '1', MAX_CONCURRENT_UPLOADS: '8', MAX_UPLOADS_PER_CLIENT: '2', MIN_UPLOAD_BYTES_PER_S: '16384',
      UPLOAD_RATE_GRACE_MS: '1000', BODY_IDLE_TIMEOUT_MS: '30000', BODY_TIMEOUT_MS: '60000' },
    { ledgerObserver: { onWiped: (buffers) => wiped.push([...buffers]) } },
  );
  port = Number(new URL(svc.url).port);
});
afterAll(async () => { await svc?.close(); });

const boundary = 'slowuploadboundary';
const photo = readSample(2);
const preamble = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
const head = (length: number): string => `POST /v1/landmarks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_API_KEY}\r\n`
  + `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n`;
const total = preamble.length + photo.length + epilogue.length;

/** An upload from `from` (a loopback address) that sends 4 KiB, then one byte every 100 ms; resolves with what the server said. */
function slowUpload(from: string): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ port, host: '127.0.0.1', localAddress: from });
    let received = '';
    let i = 0;
    const timer = setInterval(() => { if (socket.writable) socket.write(photo.subarray(4096 + i, 4096 + ++i)); }, 100);
    socket.on('data', (chunk) => { received += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => { clearInterval(timer); resolve(received); });
    socket.write(head(total));
    socket.write(Buffer.concat([preamble, photo.subarray(0, 4096)]));
  });
}

/** A normal upload from `from`, all bytes at once; resolves with the status. */
function normalUpload(from: string): Promise<number> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ port, host: '127.0.0.1', localAddress: from });
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      // One answer per connection is all this needs: the status line.
      if (received.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0)));
    socket.write(head(total).replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
    // Not end(): a half-closed connection would be closed by the server before its answer.
    socket.write(Buffer.concat([preamble, photo, epilogue]));
  });
}

describe('slow uploads', () => {
  it('an upload slower than MIN_UPLOAD_BYTES_PER_S is cut with 408 after the grace, and what arrived is wiped', async () => {
    const wipedBefore = wiped.length;
    const answer = await slowUpload('127.0.0.1');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"request_timeout"');
    expect(answer).toContain('slower than 16384 bytes/s');
    for (let i = 0; i < 300 && wiped.length <= wipedBefore; i++) await new Promise((r) => setTimeout(r, 10));
    expect(wiped.slice(wipedBefore).flat().every(isZeroed)).toBe(true);
  });

  it('one address holds at most MAX_UPLOADS_PER_CLIENT slots (429 too_many_uploads beyond); other clients are served', async () => {
    const slow = [slowUpload('127.0.0.2'), slowUpload('127.0.0.2'), slowUpload('127.0.0.2')];
    const third = await Promise.race([slow[2], new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 900))]);
    expect(third).toMatch(/^HTTP\/1\.1 429 /);
    expect(third).toContain('"code":"too_many_uploads"');
    expect(await normalUpload('127.0.0.3')).toBe(200);
    const held = await Promise.all(slow.slice(0, 2));
    expect(held.map((r) => r.slice(0, 12))).toEqual(['HTTP/1.1 408', 'HTTP/1.1 408']);
  });

  it('with 64 slow clients connected (and reconnecting) from one address, at least 90 % of normal requests succeed', async () => {
    let stop = false;
    const attackers = Array.from({ length: 64 }, async () => {
      while (!stop) {
        await slowUpload('127.0.0.4');
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await normalUpload('127.0.0.5'));
    stop = true;
    await Promise.all(attackers);
    const served = statuses.filter((s) => s === 200).length;
    console.log(`normal requests served while 64 slow clients were connected: ${served} of ${statuses.length}`);
    expect(served).toBeGreaterThanOrEqual(9);
  });
});

describe('slow uploads spread over many addresses', () => {
  // The defaults this time (MAX_CONCURRENT_UPLOADS 128, 32 per address): an upload in progress
  // holds only what it has sent, so slow clients from many addresses cannot take every slot.
  let spread: TestService;
  beforeAll(async () => {
    spread = await startTestService({ POOL_SIZE: '1', MAX_UPLOADS_PER_CLIENT: '32', UPLOAD_RATE_GRACE_MS: '1000', BODY_IDLE_TIMEOUT_MS: '30000' });
  });
  afterAll(async () => { await spread?.close(); });

  it('with 64 slow clients from 16 addresses (reconnecting), at least 90 % of normal requests succeed', async () => {
    const spreadPort = Number(new URL(spread.url).port);
    const previous = port;
    port = spreadPort;
    try {
      let stop = false;
      const attackers = Array.from({ length: 64 }, async (_, n) => {
        while (!stop) {
          await slowUpload(`127.0.2.${1 + (n % 16)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      });
      await new Promise((r) => setTimeout(r, 300));
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push(await normalUpload('127.0.0.9'));
      stop = true;
      await Promise.all(attackers);
      const served = statuses.filter((s) => s === 200).length;
      console.log(`normal requests served while 64 slow clients from 16 addresses were connected: ${served} of ${statuses.length}`);
      expect(served).toBeGreaterThanOrEqual(9);
    } finally {
      port = previous;
    }
  });
});
