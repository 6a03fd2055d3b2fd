// Measures what glibc's MALLOC_PERTURB_ costs and what it buys. The built server (dist/) is
// started in three modes — MALLOC_PERTURB_=165 (as `npm start` sets it), none, and
// MALLOC_PERTURB_=165 with glibc's tcache off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0:
// MALLOC_PERTURB_ does not wipe blocks freed into the tcache, i.e. up to 1032 bytes) — and each
// gets the same N sequential POST /v1/landmarks on the face-api sample photos (timed).
// Every upload carries two unique random markers: one in a JPEG comment (COM) segment after SOI,
// one after EOI (the file's last bytes). Then 3 truncated uploads (422), 3 PNGs of random
// letter/digit pixels (their decoded rows are findable, the compressed files are not) and one
// small (< 64 KiB) marked photo. The server's memory (/proc/PID/mem; root or ptrace rights) is
// then searched for every 16-byte piece of every marker and pixel row — before and after one
// more (unmarked) request. A decode-only loop in a child process isolates the allocator cost.
//
//   npm run measure:malloc-perturb [-- --requests 18 --rounds 1 --marker-length 64]
/* global fetch */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { markerPieces, randomMarker, scanProcess } from './memory-scan.mjs';
import { withJpegComment } from './jpeg-comment.mjs';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '18' },
    'marker-length': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
  },
});
const REQUESTS = Number(args.requests);
const MARKER_LENGTH = Number(args['marker-length']);
const ROUNDS = Number(args.rounds);

const require = createRequire(import.meta.url);
const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const samples = [1, 2, 3, 4, 5, 6].map((n) => readFileSync(join(demo, `sample${n}.jpg`)));

// A one-off key for the server this script starts.
const KEY = `mk_measure_${randomBytes(18).toString('hex')}`;

async function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(mode) {
  const port = await freePort();
  const env = {
    ...process.env, TFJS_BACKEND: 'wasm', POOL_SIZE: '1', LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1',
    API_KEYS: `measure:${KEY}`, RATE_LIMIT_RPS: '100000', RATE_LIMIT_BURST: '100000', DAILY_QUOTA: '1000000000',
  };
  delete env.MALLOC_PERTURB_;
  delete env.GLIBC_TUNABLES;
  Object.assign(env, mode.env);
  const child = spawn(process.execPath, ['dist/src/server.js'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res) await res.arrayBuffer();
    if (res?.status === 200) return { child, url };
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error('server not ready');
}

/**
 * POSTs `bytes` as the multipart field "image" over a keep-alive agent, as browsers and most
 * clients do. A memory scan blocks this process for seconds, long enough for the server's
 * keep-alive timeout to close the idle connection: runMode replaces the agent after each scan
 * (reusing the closed connection would fail with EPIPE).
 */
let agent = new Agent({ keepAlive: true, maxSockets: 1 });
function post(url, bytes) {
  const boundary = `----mayfly${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="photo.jpg"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/landmarks`, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const small = await sharp(samples[0]).resize(400).jpeg({ quality: 85 }).toBuffer();

/** `jpeg` with a fresh marker in a COM segment and another after EOI; returns both markers. */
function marked(jpeg) {
  const head = randomMarker(MARKER_LENGTH, randomBytes);
  const tail = randomMarker(MARKER_LENGTH, randomBytes);
  return { bytes: Buffer.concat([withJpegComment(jpeg, head), Buffer.from(tail, 'latin1')]), markers: [head, tail] };
}

const ALNUM = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'latin1');

/**
 * A 320×320 PNG of random pixels whose bytes are all letters/digits: its decoded RGB rows are
 * findable by the scan, the compressed file is not. Rows of 960 bytes fit glibc's tcache sizes.
 */
async function pixelImage() {
  const raw = Buffer.from(randomBytes(320 * 320 * 3).map((b) => ALNUM[b % ALNUM.length]));
  const png = await sharp(raw, { raw: { width: 320, height: 320, channels: 3 } }).png().toBuffer();
  const pieces = [];
  for (let i = 0; i + 16 <= raw.length; i += 16) pieces.push(raw.subarray(i, i + 16));
  return { png, pieces };
}

async function runMode(mode) {
  const { child, url } = await startServer(mode);
  try {
    // Warm-up (not timed, no markers): first requests pay one-time costs.
    for (const sample of samples.slice(0, 2)) await post(url, sample);
    const markers = [];
    const times = [];
    for (let i = 0; i < REQUESTS; i++) {
      const upload = marked(samples[i % samples.length]);
      markers.push(...upload.markers);
      const started = performance.now();
      const status = await post(url, upload.bytes);
      times.push(performance.now() - started);
      if (status !== 200) throw new Error(`unexpected status ${status}`);
    }
    for (let i = 0; i < 3; i++) {
      const upload = marked(samples[i].subarray(0, Math.floor(samples[i].length / 2)));
      markers.push(...upload.markers);
      if (await post(url, upload.bytes) !== 422) throw new Error('expected 422 for a truncated JPEG');
    }
    const images = [];
    for (let i = 0; i < 3; i++) {
      const image = await pixelImage();
      images.push(image);
      if (await post(url, image.png) !== 200) throw new Error('expected 200 for the pixel image');
    }
    const last = marked(small);
    markers.push(...last.markers);
    if (await post(url, last.bytes) !== 200) throw new Error('expected 200 for the small photo');
    await new Promise((r) => setTimeout(r, 500));
    const pieces = markers.map((m) => markerPieces(m));
    const needles = [...pieces.flat(), ...images.flatMap((i) => i.pieces)];
    // owner: marker index, or -1 for a piece of decoded pixels.
    const owner = [...pieces.flatMap((p, m) => p.map(() => m)), ...images.flatMap((i) => i.pieces.map(() => -1))];
    const before = scanProcess(child.pid, needles);
    agent.destroy();
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // One more request with a 256 KiB body of zeros (415): overwrites the socket read buffers.
    await post(url, Buffer.alloc(256 * 1024));
    await new Promise((r) => setTimeout(r, 500));
    const after = scanProcess(child.pid, needles);
    return { times, before, after, owner, markerCount: markers.length };
  } finally {
    agent.destroy();
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    child.kill('SIGTERM');
  }
}

/**
 * The allocator cost alone, without the noise of inference: a child node process decodes the six
 * samples to raw RGB with sharp `times` times each (what the decode step does per request).
 */
function decodeOnly(mode, times) {
  const env = { ...process.env };
  delete env.MALLOC_PERTURB_;
  delete env.GLIBC_TUNABLES;
  Object.assign(env, mode.env);
  const script = `
    const sharp = require('sharp'); const fs = require('fs'); sharp.cache(false); sharp.concurrency(1);
    const files = ${JSON.stringify([1, 2, 3, 4, 5, 6].map((n) => join(demo, `sample${n}.jpg`)))}.map((f) => fs.readFileSync(f));
    (async () => {
      for (const f of files) await sharp(f).raw().toBuffer();
      const t = performance.now();
      for (let i = 0; i < ${times}; i++) for (const f of files) (await sharp(f).rotate().resize(640, 640, { fit: 'inside' }).raw().toBuffer()).fill(0);
      process.stdout.write(String((performance.now() - t) / (${times} * files.length)));
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env, cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`decode child exited ${code}`))));
  });
}

function summarise(label, { times, before, after, owner, markerCount }) {
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const median = sorted[Math.floor(sorted.length / 2)];
  const describe = (scan) => {
    const markerHits = scan.hits.filter((h) => owner[h.needle] >= 0);
    const pixelHits = scan.hits.length - markerHits.length;
    const markers = new Set(markerHits.map((h) => owner[h.needle]));
    const regions = {};
    for (const h of scan.hits) regions[h.region] = (regions[h.region] ?? 0) + 1;
    return `${markerHits.length} pieces of ${markers.size}/${markerCount} upload markers, ` +
      `${(pixelHits * 16 / 1024).toFixed(1)} KiB of decoded pixels (3 × 300 KiB sent) ` +
      `in ${(scan.bytesScanned / 1048576).toFixed(0)} MiB; by region ${JSON.stringify(regions)}`;
  };
  console.log(`${label}: ${times.length} requests, mean ${mean.toFixed(1)} ms, median ${median.toFixed(1)} ms, min ${sorted[0].toFixed(1)} ms`);
  console.log(`  residue before flush request: ${describe(before)}`);
  console.log(`  residue after flush request:  ${describe(after)}`);
}

console.log(`MALLOC_PERTURB_ cost: ${REQUESTS} sequential /v1/landmarks on sample1-6 (wasm, POOL_SIZE=1), marker ${MARKER_LENGTH} chars, ${ROUNDS} round(s)`);
const MODES = [
  { label: 'MALLOC_PERTURB_=165', env: { MALLOC_PERTURB_: '165' } },
  { label: 'no MALLOC_PERTURB_', env: {} },
  { label: 'MALLOC_PERTURB_=165 + tcache off', env: { MALLOC_PERTURB_: '165', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' } },
];
const decode = MODES.map(() => []);
for (let i = 0; i < 3; i++) {
  for (const [m, mode] of MODES.entries()) decode[m].push(await decodeOnly(mode, 10));
}
console.log('decode only (sharp, 1920x1280 JPEG -> 640 px RGB, 60 decodes per run, 3 runs, modes alternating), ms/decode:');
for (const [m, mode] of MODES.entries()) console.log(`  ${mode.label}: ${decode[m].map((x) => x.toFixed(1)).join(' / ')}`);
for (let round = 1; round <= ROUNDS; round++) {
  for (const mode of MODES) summarise(`round ${round} ${mode.label}`, await runMode(mode));
}
