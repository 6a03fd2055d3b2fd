/* global setTimeout */
// Calibrates src/imaging/decode-cost.ts: for each case, a fresh Node process (same malloc
// environment as `npm start`) receives the image over IPC, resets its peak-RSS counter
// (/proc/self/clear_refs "5"), decodes it exactly as the service does (decodeToMaxSide from
// dist/), and reports VmHWM minus the RSS before decoding, beside decodeCost()'s estimate.
// Inputs are generated in memory; nothing is written to disk.
//   npm run build && node scripts/measure-decode-cost.mjs [maxSide ...]
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const self = fileURLToPath(import.meta.url);
const MiB = 1024 * 1024;
const kib = (line) => Number(/(\d+) kB/.exec(line)?.[1] ?? 0) * 1024;
const status = () => readFileSync('/proc/self/status', 'latin1').split('\n');
const field = (name) => kib(status().find((l) => l.startsWith(name)) ?? '');

if (process.argv[2] === '--child') {
  const { decodeToMaxSide } = await import('../dist/src/imaging/decode.js');
  const { WipeLedger } = await import('../dist/src/privacy/wipe-ledger.js');
  sharp.cache(false);
  sharp.concurrency(1);
  process.on('message', async ({ bytes, maxSide }) => {
    const input = new Uint8Array(bytes);
    await new Promise((r) => setTimeout(r, 50));
    const before = field('VmRSS');
    // Resets VmHWM to the current RSS (not a disk write: a procfs control file).
    writeFileSync('/proc/self/clear_refs', '5');
    const ledger = new WipeLedger();
    let outcome = 'ok';
    try {
      await decodeToMaxSide(input, maxSide, { maxInputPixels: 100_000_000 }, ledger);
    } catch (error) {
      outcome = `${error.code ?? error.message}`;
    }
    ledger.wipeAll();
    process.send({ before, peak: field('VmHWM'), outcome }, () => process.exit(0));
  });
} else {
  const { decodeCost } = await import('../dist/src/imaging/decode-cost.js');
  const { readHeader } = await import('../dist/src/imaging/header.js');
  const { sniffFormat } = await import('../dist/src/imaging/sniff.js');
  const sides = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const maxSides = sides.length > 0 ? sides : [512, 2048];
  const photo = readFileSync(new URL('../node_modules/@vladmandic/face-api/demo/sample1.jpg', import.meta.url));
  const sized = (w, h) => sharp(photo).resize(w, h, { fit: 'fill' });
  const hostile = await import('./hostile-images.mjs');
  const cases = [
    ['issue: png 50 zTXt (28 MiB text each)', () => hostile.zTxtPng()],
    ['issue: png 7071x7071 rgba16 interlaced, flat', () => hostile.interlacedPng16()],
    ['issue: jpeg 8000x6000 progressive 4:4:4, flat', () => hostile.progressiveJpeg444()],
    ['issue: webp animated 7000x7000 canvas', () => hostile.animatedWebp()],
    ['png 7071x7071 rgba16 flat', () => sharp({ create: { width: 7071, height: 7071, channels: 4, background: '#336699' } }).toColourspace('rgb16').png().toBuffer()],
    ['jpeg 8000x6000 baseline 4:2:0', () => sized(8000, 6000).jpeg({ quality: 80 }).toBuffer()],
    ['jpeg 8000x6000 progressive 4:2:0', () => sized(8000, 6000).jpeg({ quality: 80, progressive: true }).toBuffer()],
    ['jpeg 8000x6000 progressive 4:4:4', () => sized(8000, 6000).jpeg({ quality: 80, progressive: true, chromaSubsampling: '4:4:4' }).toBuffer()],
    ['jpeg 4000x3000 progressive 4:4:4', () => sized(4000, 3000).jpeg({ quality: 80, progressive: true, chromaSubsampling: '4:4:4' }).toBuffer()],
    ['png 7071x7071 rgba16', () => sized(7071, 7071).ensureAlpha().toColourspace('rgb16').png({ compressionLevel: 1 }).toBuffer()],
    ['png 7071x7071 rgba16 interlaced', () => sized(7071, 7071).ensureAlpha().toColourspace('rgb16').png({ compressionLevel: 1, progressive: true }).toBuffer()],
    ['png 4000x3000 rgb8 interlaced', () => sized(4000, 3000).png({ compressionLevel: 1, progressive: true }).toBuffer()],
    ['png 4000x3000 rgb8', () => sized(4000, 3000).png({ compressionLevel: 1 }).toBuffer()],
    ['webp 7000x7000 lossy', () => sized(7000, 7000).webp({ quality: 70, effort: 0 }).toBuffer()],
    ['webp 4000x3000 lossless', () => sized(4000, 3000).webp({ lossless: true, effort: 0 }).toBuffer()],
    ['webp 4000x3000 lossy+alpha', () => sized(4000, 3000).ensureAlpha(0.5).webp({ quality: 70, effort: 0 }).toBuffer()],
    ['avif 4000x3000', () => sized(4000, 3000).avif({ quality: 50, effort: 0 }).toBuffer()],
    ['avif 8000x6000', () => sized(8000, 6000).avif({ quality: 50, effort: 0 }).toBuffer()],
  ];
  const only = process.env.CASES ? new RegExp(process.env.CASES) : undefined;
  console.log('case | maxSide | file KiB | measured MiB | estimate MiB | ratio');
  for (const [name, make] of cases) {
    if (only && !only.test(name)) continue;
    const bytes = await make();
    const sniffed = sniffFormat(bytes);
    const { profile } = readHeader(bytes, sniffed.format);
    for (const maxSide of maxSides) {
      const child = fork(self, ['--child'], {
        serialization: 'advanced',
        env: { ...process.env, MALLOC_PERTURB_: '165', MALLOC_ARENA_MAX: '2', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' },
      });
      const result = await new Promise((resolve) => { child.once('message', resolve); child.send({ bytes, maxSide }); });
      const measured = (result.peak - result.before) / MiB;
      const estimate = decodeCost(profile, { maxSide }) / MiB;
      console.log(`${name} | ${maxSide} | ${(bytes.length / 1024).toFixed(0)} | ${measured.toFixed(1)} | ${estimate.toFixed(1)} | ${(estimate / Math.max(1, measured)).toFixed(2)}${result.outcome === 'ok' ? '' : ` (${result.outcome})`}`);
    }
  }
}
