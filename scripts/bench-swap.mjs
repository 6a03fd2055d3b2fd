/* global Buffer */
// npm run bench:swap -- <sheet.png>: face-swap quality per template × sample photo, for people.
// Prints, per result face: identity distances (face-api faceRecognitionNet, 128-d, wasm) from the
// result to the user and to the template's person, whether the user was carried over (closer to
// the user than to the template), the seam gradient ratio (result ÷ portrait along the blend
// contours, as test/effects-quality.test.ts measures it) and composite + encode ms (Server-Timing,
// JPEG at 1024 px, median of BENCH_SWAP_RUNS). Writes a contact sheet PNG to the path given
// (a tool: the service itself never writes files).
// SWAP_FIELDS sets the form fields (default "strength=100,shape=100").
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { SAMPLE_DIR, postEffect, startLocal } from './service.mjs';
import { descriptorDistance, faceNearest, facesIn } from './identity.mjs';
import { seamRatio } from './seam.mjs';

const out = process.argv[2];
if (!out) {
  console.error('usage: npm run bench:swap -- <sheet.png>');
  process.exit(2);
}
const SAMPLES = (process.env.BENCH_SWAP_SAMPLES ?? '1,2,3,4,5,6').split(',').map(Number);
const RUNS = Number(process.env.BENCH_SWAP_RUNS ?? 3);
const FIELDS = Object.fromEntries((process.env.SWAP_FIELDS ?? 'strength=100,shape=100').split(',').filter(Boolean).map((kv) => kv.split('=')));
// Below this descriptor distance the user and the template's person are the same person (a
// template made from the same photo): "carried over" means nothing there, so it is not counted.
const SAME_PERSON = 0.45;
const CELL = 256;
const THUMB = 110;
const GAP = 6;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timing = (header, name) => Number(new RegExp(`${name};dur=([0-9.]+)`).exec(header ?? '')?.[1] ?? Number.NaN);
const eyeMid = (anchors, s) => [((anchors.leftEye[0] + anchors.rightEye[0]) / 2) * s, ((anchors.leftEye[1] + anchors.rightEye[1]) / 2) * s];

async function crop(bytes, box, size) {
  const meta = await sharp(bytes).metadata();
  const side = Math.max(box.width, box.height) * 1.7;
  const left = Math.max(0, Math.round(box.x + box.width / 2 - side / 2));
  const top = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
  const width = Math.min(meta.width - left, Math.round(side)); const height = Math.min(meta.height - top, Math.round(side));
  return sharp(bytes).extract({ left, top, width, height }).resize(size, size, { fit: 'contain', background: '#202020' }).png().toBuffer();
}

const svc = await startLocal();
try {
  const registry = svc.service.state.templates;
  const templates = registry.list().filter((t) => t.kind === 'face-swap');
  const rows = [];
  const summary = [];
  console.log(`fields: ${JSON.stringify(FIELDS)}; identity: face-api faceRecognitionNet distance (< 0.6 = same person)`);
  console.log('template        photo    slot  d(user)  d(template)  carried  seam  d(user,template)   composite+encode ms');
  for (const t of templates) {
    const artPng = await sharp(t.art.data, { raw: { width: t.art.width, height: t.art.height, channels: t.art.channels } }).png().toBuffer();
    const templateFaces = await facesIn(artPng, 4096);
    const slotFaces = t.slots.map((slot) => faceNearest(templateFaces, eyeMid(slot.anchors, 1)));
    const row = { template: t, artPng, slotFaces, cells: [] };
    for (const n of SAMPLES) {
      const photo = readFileSync(join(SAMPLE_DIR, `sample${n}.jpg`));
      const userFaces = await facesIn(photo, 1024);
      const photo1024 = await sharp(photo).rotate().resize(1024, 1024, { fit: 'inside' }).png().toBuffer();
      const res = await postEffect(svc.url, t.id, photo, { format: 'png', maxSize: 1024, ...FIELDS });
      if (!res.ok) {
        const body = await res.json();
        console.log(`${t.id.padEnd(15)} sample${n}  —     ${res.status} ${body.code}`);
        row.cells.push({ n, error: `${res.status} ${body.code}` });
        continue;
      }
      const result = Buffer.from(await res.arrayBuffer());
      const times = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await postEffect(svc.url, t.id, photo, { format: 'jpeg', maxSize: 1024, ...FIELDS });
        await r.arrayBuffer();
        const st = r.headers.get('server-timing');
        times.push(timing(st, 'composite') + timing(st, 'encode'));
      }
      const ms = median(times);
      const resultFaces = await facesIn(result, 4096);
      const seam = await seamRatio(result, t);
      const cell = { n, result, userThumbs: [], slots: [] };
      for (const [s, slot] of t.slots.entries()) {
        const user = userFaces[s % userFaces.length];
        const dUT = descriptorDistance(user.descriptor, tmpl.descriptor);
        const got = faceNearest(resultFaces, eyeMid(slot.anchors, 1));
        const tmpl = slotFaces[s];
        cell.userThumbs.push(await crop(photo1024, user.box, THUMB));
                const same = dUT < SAME_PERSON;
        const found = got && Math.hypot(
          (got.landmarks[36][0] + got.landmarks[45][0]) / 2 - eyeMid(slot.anchors, 1)[0],
          (got.landmarks[36][1] + got.landmarks[45][1]) / 2 - eyeMid(slot.anchors, 1)[1],
        ) < tmpl.box.width * 0.5;
        const dUser = found ? descriptorDistance(got.descriptor, user.descriptor) : Number.NaN;
        const dTemplate = found ? descriptorDistance(got.descriptor, tmpl.descriptor) : Number.NaN;
        const carried = !found ? 'no face' : same ? 'same person' : dUser < dTemplate ? 'yes' : 'NO';
        cell.slots.push({ dUser, dTemplate, carried });
        if (!same) summary.push({ t: t.id, n, s, dUser, dTemplate, carried, seam, ms });
        console.log(`${t.id.padEnd(15)} sample${n}  ${String(s).padStart(4)}  ${dUser.toFixed(3).padStart(7)}  ${dTemplate.toFixed(3).padStart(11)}  ${carried.padStart(7)}  ${seam.toFixed(2).padStart(5)}  ${dUT.toFixed(3).padStart(6)}  ${ms.toFixed(1).padStart(8)}`);
      }
      row.cells.push(cell);
    }
    rows.push(row);
  }
  const counted = summary.filter((r) => Number.isFinite(r.dUser));
  const carried = counted.filter((r) => r.carried === 'yes').length;
  const meanUser = counted.reduce((a, r) => a + r.dUser, 0) / counted.length;
  const meanTemplate = counted.reduce((a, r) => a + r.dTemplate, 0) / counted.length;
  const seams = summary.map((r) => r.seam);
  const times = summary.map((r) => r.ms);
  console.log(`\ncarried over: ${carried} of ${counted.length} results (same-person pairs and faces not found again left out: ${summary.length - counted.length})`);
  console.log(`mean d(result, user) ${meanUser.toFixed(3)}; mean d(result, template) ${meanTemplate.toFixed(3)}`);
  console.log(`seam ratio max ${Math.max(...seams).toFixed(2)}, median ${median(seams).toFixed(2)}`);
  console.log(`composite+encode (jpeg, 1024 px) p50 ${median(times).toFixed(1)} ms over ${times.length} photo×template medians`);

  // Contact sheet: a row per template slot: the template's face, then per photo the result around
  // that face with the user's face as a small inset under it.
  const cells = [];
  let top = GAP;
  for (const row of rows) {
    for (const [s, face] of row.slotFaces.entries()) {
      cells.push({ input: await crop(row.artPng, face.box, CELL), left: GAP, top });
      for (const [col, cell] of row.cells.entries()) {
        const left = GAP + (col + 1) * (CELL + GAP);
        if (cell.error) {
          cells.push({ input: await sharp({ create: { width: CELL, height: CELL, channels: 3, background: '#552222' } }).png().toBuffer(), left, top });
          continue;
        }
        cells.push({ input: await crop(cell.result, face.box, CELL), left, top });
        cells.push({ input: cell.userThumbs[s], left, top: top + CELL + GAP });
      }
      top += CELL + THUMB + 3 * GAP;
    }
  }
  const width = GAP + (SAMPLES.length + 1) * (CELL + GAP);
  const sheet = await sharp({ create: { width, height: top, channels: 3, background: '#101010' } }).composite(cells).png().toBuffer();
  writeFileSync(out, sheet);
  console.log(`wrote ${out} (${width}×${top})`);
} finally {
  await svc.close();
}
