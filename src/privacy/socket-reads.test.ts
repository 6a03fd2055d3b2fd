import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { wipeSocketReads } from './socket-reads.js';
import { isZeroed } from './wipe-ledger.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server that echoes the body's length and first bytes, and keeps every raw socket read. */
async function start(wipe: boolean): Promise<{ url: string; reads: Buffer[] }> {
  const reads: Buffer[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.end(`${body.length}:${body.subarray(0, 8).toString('latin1')}:${body.subarray(-8).toString('latin1')}`);
    });
  });
  if (wipe) wipeSocketReads(server);
  // Registered last: sees each read after the parser (and the wipe, if installed) had it.
  server.on('connection', (socket: Socket) => socket.on('data', (chunk: Buffer) => reads.push(chunk)));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, reads };
}

const body = Buffer.from('BEGIN-->'.concat('x'.repeat(300_000), '<----END'), 'latin1');

describe('wipeSocketReads', () => {
  it('control: without it, the raw reads still hold the body after the parser used them', async () => {
    const { url, reads } = await start(false);
    const res = await fetch(url, { method: 'POST', body });
    expect(await res.text()).toBe(`${body.length}:BEGIN-->:<----END`);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.some((r) => !isZeroed(r))).toBe(true);
  });

  it('zeroes every raw socket read once parsed, and requests on the connection still parse correctly', async () => {
    const { url, reads } = await start(true);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, { method: 'POST', body });
      expect(await res.text()).toBe(`${body.length}:BEGIN-->:<----END`);
    }
    expect(reads.reduce((n, r) => n + r.length, 0)).toBeGreaterThan(3 * body.length);
    expect(reads.filter((r) => !isZeroed(r))).toEqual([]);
  });
});
