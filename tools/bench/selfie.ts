// First import: the same native environment as the service (no libvips temp files).
import '../../src/privacy/native-env.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.js';
import { loadFaceModel } from '../../src/faces/face-model.js';
import { FACE_API_MODEL_DIR } from '../../src/main.js';
import { multipartBody, type PreparedBody } from '../loadtest/multipart.js';
import { runLevel, type LevelResult } from './http-levels.js';
import { decodeRaw, makeCrop, SELFIE_KINDS } from './selfie-crops.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/**
 * `node dist/tools/bench/selfie.js [--baseline <dir>]`: the selfie level, this build (A) against
 * the build before the cascade (B: `<dir>/dist/src/server.js` of a built checkout, else this build
 * with FACE_CASCADE=off), both servers up, runs alternating A-B then B-A each round so that the
 * shared machine's load falls on both alike. Cases: an effect on close-up crops (1 and 4 clients),
 * an effect on a 12 MP EXIF-rotated selfie (1 client), landmarks on the group photos (4 clients).
 * `--only <text>` runs the cases whose label contains it. Prints rates with server CPU per answer; asserts nothing.
 */
const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    effect: { type: 'string', default: 'astronaut' },
    only: { type: 'string', default: '' },
  },
});
const durationMs = Number(args.duration) * 1000;
const config = loadConfig({ ...process.env, TFJS_BACKEND: process.env.TFJS_BACKEND ?? 'wasm' });
const key = `mk_bench_${randomBytes(18).toString('hex')}`;
const headers = { authorization: `Bearer ${key}` };
const env = { API_KEYS: `bench:${key}`, RATE_LIMIT_RPS: '100000', RATE_LIMIT_BURST: '100000', DAILY_QUOTA: '1000000000', MAX_UPLOADS_PER_CLIENT: '100000', TFJS_BACKEND: 'wasm' };

const sampleDir = join(FACE_API_MODEL_DIR, '..', 'demo');
const reference = await loadFaceModel({ backend: 'wasm', modelDir: FACE_API_MODEL_DIR, minFaceScore: config.minFaceScore, maxFaces: config.maxFaces, cascade: false });
const crops: PreparedBody[] = [];
let phone: PreparedBody | undefined;
for (const n of [1, 2, 3, 4, 5, 6]) {
  const photo = await decodeRaw(readFileSync(join(sampleDir, `sample${n}.jpg`)));
  const faces = await reference.detect(new Uint8Array(photo.data), photo.width, photo.height);
  const face = faces.sort((a, b) => b.box.width - a.box.width)[0]!;
  for (const spec of SELFIE_KINDS.filter((k) => ['plain-40', 'plain-60', 'roll+15', 'mirror'].includes(k.kind))) {
    const crop = await makeCrop(photo, face, spec);
    crops.push(multipartBody(`selfie${n}-${spec.kind}.jpg`, crop.jpeg));
    if (!phone && spec.kind === 'plain-40') {
      // 12 MP (3000 × 4000 upright), stored sideways with EXIF orientation 6, as phones do.
      const big = await sharp(crop.jpeg).resize(3000, 4000).rotate(-90).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer();
      phone = multipartBody('phone-12mp-exif6.jpg', big);
    }
  }
}
const groups = [1, 2, 3, 4, 5, 6].map((n) => multipartBody(`sample${n}.jpg`, readFileSync(join(sampleDir, `sample${n}.jpg`))));

const a = await startServerProcess(env);
const b = args.baseline
  ? await startServerProcess(env, resolve(args.baseline, 'dist/src/server.js'))
  : await startServerProcess({ ...env, FACE_CASCADE: 'off' });
console.log(`A: this build (FACE_CASCADE=${config.faceCascade ? 'on' : 'off'}); B: ${args.baseline ? `${args.baseline} (built)` : 'this build, FACE_CASCADE=off'}; ` +
  `POOL_SIZE=${config.poolSize}, ${durationMs / 1000} s per run, ${args.rounds} rounds alternating`);

const effectPath = `/v1/effects/${encodeURIComponent(args.effect)}`;
const cases: { label: string; path: string; bodies: PreparedBody[]; clients: number }[] = [
  { label: `selfie effects/${args.effect}, 1 client`, path: effectPath, bodies: crops, clients: 1 },
  { label: `selfie effects/${args.effect}, 4 clients`, path: effectPath, bodies: crops, clients: 4 },
  { label: `12 MP EXIF-6 selfie effects/${args.effect}, 1 client`, path: effectPath, bodies: [phone!], clients: 1 },
  { label: 'group landmarks, 4 clients', path: '/v1/landmarks', bodies: groups, clients: 4 },
];
const chosen = cases.filter((c) => c.label.includes(args.only));
const results = new Map<string, { a: LevelResult[]; b: LevelResult[] }>();
const run = (server: ServerProcess, c: (typeof cases)[number]): Promise<LevelResult> =>
  runLevel(server, c.path, c.bodies, c.clients, durationMs, headers, 1000, config.poolSize);
for (let round = 0; round < Number(args.rounds); round++) {
  for (const c of chosen) {
    const slot = results.get(c.label) ?? { a: [], b: [] };
    results.set(c.label, slot);
    const order: ['a' | 'b', ServerProcess][] = round % 2 === 0 ? [['a', a], ['b', b]] : [['b', b], ['a', a]];
    for (const [name, server] of order) slot[name].push(await run(server, c));
  }
}
await Promise.all([a.stop(), b.stop()]);

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const describe = (r: LevelResult[]): string => {
  const rate = mean(r.map((x) => x.summary.okThroughput));
  const p50 = mean(r.map((x) => x.summary.okLatency.p50));
  const cpu = mean(r.map((x) => x.cpuMsPerOk));
  const errors = r.reduce((s, x) => s + Object.entries(x.summary.statuses).filter(([k]) => !k.startsWith('2')).reduce((t, [, n]) => t + n, 0), 0);
  return `${rate.toFixed(2)}/s p50 ${p50.toFixed(0)} ms cpu ${cpu.toFixed(0)} ms/answer${errors ? ` non-2xx ${errors}` : ''}`;
};
for (const [label, r] of results) {
  const rateA = mean(r.a.map((x) => x.summary.okThroughput));
  const rateB = mean(r.b.map((x) => x.summary.okThroughput));
  const latA = mean(r.a.map((x) => x.summary.okLatency.p50));
  const latB = mean(r.b.map((x) => x.summary.okLatency.p50));
  console.log(`${label.padEnd(44)} A ${describe(r.a)} | B ${describe(r.b)} | A/B rate ${(rateA / rateB).toFixed(2)}×, p50 ${(latA / latB).toFixed(2)}×`);
}
