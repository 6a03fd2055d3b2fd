// npm run bench:swap-composite: face swap composite + encode, in process, on the real sample
// photos (face-api demo/sample1–6, faces found by face-api at 1024 px) into every face-swap
// template at 1024 px: compositeFaceSwap and encodeImage called directly (no HTTP, no detection),
// so the figure is the work the goal counts and little else. Prints p50/p95 wall ms and
// CPU ms per answer (process.cpuUsage: this thread and libvips' encode threads).
//
// BENCH_AB_ROOT=<another checkout, built>: the same inputs through that tree's dist/ as well,
// calls alternating A-B / B-A every round (so the machine's load falls on both alike), and the
// rasters each pair produced compared (max |difference|, pixels differing, PSNR).
// BENCH_RUNS (default 20) rounds per input after BENCH_WARMUP (3); BENCH_FORMAT (jpeg);
// SWAP_FIELDS (default "strength=100,shape=100"; also quality=…); BENCH_SAMPLES (1,2,3,4,5,6).
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { SAMPLE_DIR, startLocal } from './service.mjs';
import { facesIn } from './identity.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const FORMAT = process.env.BENCH_FORMAT ?? 'jpeg';
const SAMPLES = (process.env.BENCH_SAMPLES ?? '1,2,3,4,5,6').split(',').map(Number);
const FIELDS = Object.fromEntries((process.env.SWAP_FIELDS ?? 'strength=100,shape=100').split(',').filter(Boolean).map((kv) => kv.split('=')));
const strength = Number(FIELDS.strength ?? 85) / 100;
const shape = Number(FIELDS.shape ?? 70) / 100;
const quality = Number(FIELDS.quality ?? 85);
const EDGE = 1024;

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function build(root) {
  const dist = (p) => pathToFileURL(join(root, 'dist', 'src', p)).href;
  const { compositeFaceSwap } = await import(dist('pipeline/kinds/face-swap/composite.js'));
  const { encodeImage } = await import(dist('imaging/encode.js'));
  const { WipeLedger } = await import(dist('privacy/wipe-ledger.js'));
  return { root, compositeFaceSwap, encodeImage, WipeLedger };
}

const here = fileURLToPath(new URL('..', import.meta.url));
const sides = [await build(here)];
if (process.env.BENCH_AB_ROOT) sides.push(await build(process.env.BENCH_AB_ROOT));

const svc = await startLocal();
try {
  const templates = svc.service.state.templates.list().filter((t) => t.kind === 'face-swap');
  // Inputs: each sample photo at 1024 px (as the service decodes it for maxSize 1024) and its
  // largest faces, one per slot.
  const inputs = [];
  for (const n of SAMPLES) {
    const bytes = readFileSync(join(SAMPLE_DIR, `sample${n}.jpg`));
    const { data, info } = await sharp(bytes).rotate().resize(EDGE, EDGE, { fit: 'inside', withoutEnlargement: true })
      .removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const photo = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
    const faces = (await facesIn(bytes, EDGE, { aligned: false })).map((f) => ({ landmarks: f.landmarks }));
    for (const t of templates) {
      if (faces.length === 0) continue;
      const art = await svc.service.state.templates.artAt(t, Math.min(EDGE, Math.max(t.width, t.height)));
      inputs.push({ name: `${t.id}/s${n}`, template: t, art, photo, faces: faces.slice(0, t.slots.length) });
    }
  }
  const options = { strength, shape, maxYawDegrees: 45 };
  const run = async (side, input, keep) => {
    const ledger = new side.WipeLedger();
    const out = { data: ledger.track(new Uint8Array(input.art.width * input.art.height * 3)), width: input.art.width, height: input.art.height, channels: 3 };
    const cpu0 = process.cpuUsage(); const t0 = performance.now();
    try {
      side.compositeFaceSwap(out, input.photo, input.template, input.art, input.art.width / input.template.width, input.faces, options);
    } catch (error) {
      ledger.wipeAll();
      if (error?.code === 'face_pose_unsupported') return null;
      throw error;
    }
    const t1 = performance.now();
    const encoded = await side.encodeImage(out, FORMAT, quality, ledger);
    const t2 = performance.now(); const cpu = process.cpuUsage(cpu0);
    const row = { composite: t1 - t0, encode: t2 - t1, total: t2 - t0, cpu: (cpu.user + cpu.system) / 1000, bytes: encoded.length, pixels: keep ? out.data.slice() : null };
    ledger.wipeAll();
    return row;
  };
  const rows = sides.map(() => []);
  const diffs = [];
  for (const input of inputs) {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const order = i % 2 ? [...sides.keys()].reverse() : [...sides.keys()];
      const got = [];
      for (const k of order) got[k] = await run(sides[k], input, i === 0);
      if (!got[0]) break; // refused pose (same in both)
      if (i === 0 && sides.length > 1) diffs.push({ name: input.name, ...compare(got[0].pixels, got[1].pixels), bytes: [got[0].bytes, got[1].bytes] });
      for (const r of got) r.pixels?.fill(0);
      if (i >= WARMUP) got.forEach((r, k) => rows[k].push(r));
    }
  }
  console.log(`face swap composite + encode in process, ${EDGE} px, ${FORMAT} q${quality}, strength ${strength * 100}, shape ${shape * 100}; `
    + `${inputs.length} inputs × ${RUNS} runs after ${WARMUP} warm-up; ms`);
  console.log('side  n     composite p50/p95   encode p50/p95   composite+encode p50/p95   CPU/answer p50   root');
  const f = (xs) => { const s = [...xs].sort((a, b) => a - b); return `${pct(s, 50).toFixed(1)}/${pct(s, 95).toFixed(1)}`; };
  rows.forEach((list, k) => {
    const cpu = [...list.map((r) => r.cpu)].sort((a, b) => a - b);
    console.log(`${'AB'[k]}  ${String(list.length).padStart(4)}   ${f(list.map((r) => r.composite)).padStart(17)}   ${f(list.map((r) => r.encode)).padStart(14)}   `
      + `${f(list.map((r) => r.total)).padStart(24)}   ${pct(cpu, 50).toFixed(1).padStart(14)}   ${sides[k].root}`);
  });
  if (rows.length > 1) {
    const a = rows[0].map((r) => r.total).sort((x, y) => x - y); const b = rows[1].map((r) => r.total).sort((x, y) => x - y);
    console.log(`A/B p50 ${(pct(a, 50) / pct(b, 50)).toFixed(2)}`);
    console.log('\noutput A vs B (raw RGB before encoding): input, max |diff|, pixels differing, PSNR dB, encoded bytes A/B');
    for (const d of diffs) console.log(`${d.name.padEnd(20)} ${String(d.max).padStart(4)} ${String(d.differing).padStart(8)} ${d.psnr === Infinity ? '     ∞' : d.psnr.toFixed(1).padStart(6)}   ${d.bytes.join('/')}`);
  }
} finally {
  await svc.close();
}

function compare(a, b) {
  let max = 0; let differing = 0; let se = 0;
  for (let i = 0; i < a.length; i += 3) {
    let any = false;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a[i + c] - b[i + c]);
      if (d) { any = true; se += d * d; if (d > max) max = d; }
    }
    if (any) differing++;
  }
  const mse = se / a.length;
  return { max, differing, psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse) };
}
