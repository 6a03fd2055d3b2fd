/* global fetch, FormData, Blob, setTimeout, setInterval, clearInterval */
// Memory amplification of small uploads (issue 13, item 2): starts the BUILT server
// (`node <root>/dist/src/server.js`, the `npm start` node flags and malloc settings, wasm,
// POOL_SIZE=2) and sends each of the cases, alone or four at once, to /v1/landmarks.
// Before each case the server's peak-RSS counter is reset (/proc/PID/clear_refs "5"); after it
// the script prints the peak over the RSS before (VmHWM − VmRSS), the answers, and the estimate
// of src/imaging/decode-cost.ts. A benchmark, not a test: figures vary between runs.
//   npm run build && node scripts/bench-amplification.mjs [--root DIR] [--skip-ztxt]
// --root: another checkout's built tree (e.g. the main branch) to compare against. Inputs are
// generated in memory; nothing is written to disk. The zTXt case needs several GB of free
// memory on a server without the fix.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { animatedWebp, interlacedPng16, progressiveJpeg444, zTxtPng } from './hostile-images.mjs';

const args = process.argv.slice(2);
const root = resolve(args.includes('--root') ? args[args.indexOf('--root') + 1] : '.');
const MiB = 1024 * 1024;
const key = `mk_bench_${randomBytes(18).toString('hex')}`;

const freePort = () => new Promise((done) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => done(port)); });
});
const status = (pid) => readFileSync(`/proc/${pid}/status`, 'latin1');
const kib = (text, name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? 0) * 1024;

async function post(url, bytes) {
  const form = new FormData();
  form.append('image', new Blob([bytes]), 'photo');
  const res = await fetch(`${url}/v1/landmarks`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${key}` } })
    .catch((error) => ({ transport: error.cause?.code ?? 'error' }));
  if ('transport' in res) return `transport ${res.transport}`;
  const body = await res.text();
  return res.status === 200 ? '200' : `${res.status} ${JSON.parse(body).code}`;
}

/** The built server as `npm start` runs it, on a free loopback port; resolves once it is ready. */
async function startServer(extraEnv) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--initial-old-space-size=64', '--max-semi-space-size=4', join(root, 'dist/src/server.js')], {
    env: {
      PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', TFJS_BACKEND: 'wasm', POOL_SIZE: '2', LOG_LEVEL: 'warn',
      API_KEYS: `bench:${key}`, RATE_LIMIT_RPS: '100000', RATE_LIMIT_BURST: '100000', DAILY_QUOTA: '1000000000',
      MALLOC_PERTURB_: '165', MALLOC_ARENA_MAX: '2', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0', ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    if (i > 480) throw new Error('server not ready');
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, url, port };
}

// The amplification cases come from one address: its upload cap is lifted for them. The slow
// clients below meet a second server with every default.
let { child, url, port } = await startServer({ MAX_UPLOADS_PER_CLIENT: '100000' });
const photo = readFileSync(new URL('../node_modules/@vladmandic/face-api/demo/sample1.jpg', import.meta.url));
for (let i = 0; i < 4; i++) await post(url, photo); // warm

let estimate = () => 'n/a';
try {
  const { decodeCost } = await import(join(root, 'dist/src/imaging/decode-cost.js'));
  const { readHeader } = await import(join(root, 'dist/src/imaging/header.js'));
  const { sniffFormat } = await import(join(root, 'dist/src/imaging/sniff.js'));
  estimate = (bytes) => `${(decodeCost(readHeader(bytes, sniffFormat(bytes).format).profile, { maxSide: 512 }) / MiB).toFixed(0)} MiB`;
} catch { /* a tree without decode-cost.ts */ }

const cases = [
  ['sample photo (control)', 1, async () => photo],
  ['PNG with 50 zTXt chunks', 1, () => zTxtPng(50, 13 * MiB)],
  ['interlaced 16-bit RGBA PNG 7071x7071', 4, () => interlacedPng16(7071)],
  ['progressive 4:4:4 JPEG 8000x6000', 4, () => progressiveJpeg444(8000, 6000)],
  ['animated WebP, 7000x7000 canvas', 4, () => animatedWebp(7000)],
].filter(([name]) => !(args.includes('--skip-ztxt') && name.includes('zTXt')));

console.log(`server: ${root}`);
console.log('case | upload KiB | at once | answers | RSS before MiB | peak over it MiB | estimate each');
for (const [name, count, make] of cases) {
  const bytes = await make();
  await new Promise((r) => setTimeout(r, 500));
  writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
  const before = kib(status(child.pid), 'VmRSS');
  const answers = await Promise.all(Array.from({ length: count }, () => post(url, bytes)));
  const peak = kib(status(child.pid), 'VmHWM');
  console.log(`${name} | ${(bytes.length / 1024).toFixed(0)} | ${count} | ${[...new Set(answers)].join(', ')} | ${(before / MiB).toFixed(0)} | ${((peak - before) / MiB).toFixed(0)} | ${estimate(bytes)}`);
}

// Every case at once, plus four ordinary photos: the peak of the whole process (goal ≤ 1 GB).
{
  const all = [];
  for (const [, count, make] of cases) { const bytes = await make(); for (let i = 0; i < count; i++) all.push(bytes); }
  for (let i = 0; i < 4; i++) all.push(photo);
  await new Promise((r) => setTimeout(r, 500));
  writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
  const answers = await Promise.all(all.map((bytes) => post(url, bytes)));
  const counts = answers.reduce((m, a) => ({ ...m, [a]: (m[a] ?? 0) + 1 }), {});
  console.log(`every case at once (${all.length} requests): peak RSS ${(kib(status(child.pid), 'VmHWM') / MiB).toFixed(0)} MiB; answers ${JSON.stringify(counts)}`);
}

// 64 slow clients (4 KiB, then a byte every 100 ms; reconnecting 100 ms after each cut) while
// normal photos are sent one after another for 15 s: from one address, then from 16.
child.kill('SIGTERM');
({ child, url, port } = await startServer({}));
for (let i = 0; i < 4; i++) await post(url, photo); // warm
for (const addresses of [1, 16]) {
  let stop = false;
  const boundary = 'slowbenchboundary';
  const head = `POST /v1/landmarks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n`
    + `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${photo.length + 200}\r\n\r\n`
    + `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n`;
  const slowOnce = (from) => new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    let i = 0;
    const timer = setInterval(() => { if (socket.writable) socket.write(photo.subarray(4096 + i, 4096 + ++i)); }, 100);
    socket.on('error', () => undefined);
    socket.on('close', () => { clearInterval(timer); done(); });
    socket.write(head);
    socket.write(photo.subarray(0, 4096));
  });
  const slow = Array.from({ length: 64 }, async (_, n) => {
    const from = `127.0.1.${1 + (n % addresses)}`;
    while (!stop) { await slowOnce(from); await new Promise((r) => setTimeout(r, 100)); }
  });
  await new Promise((r) => setTimeout(r, 500));
  writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
  const answers = [];
  for (const until = Date.now() + 15_000; Date.now() < until;) answers.push(await post(url, photo));
  stop = true;
  const peak = kib(status(child.pid), 'VmHWM');
  await Promise.all(slow);
  const served = answers.filter((a) => a === '200').length;
  console.log(`64 slow clients from ${addresses} address(es): normal requests served ${served} of ${answers.length} (${((100 * served) / answers.length).toFixed(0)} %), `
    + `others ${JSON.stringify([...new Set(answers.filter((a) => a !== '200'))])}; peak RSS ${(peak / MiB).toFixed(0)} MiB`);
}
child.kill('SIGTERM');
