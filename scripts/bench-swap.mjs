/* global Buffer */
// npm run bench:swap -- <sheet.png>: face-swap quality per template × sample face, for people.
// Users: the BENCH_SWAP_FACES (default 2) largest faces of each sample photo, each cropped as a selfie.
// Prints, per result face: identity distances (face-api faceRecognitionNet, 128-d, wasm) from the
// result to the user and to the template's person, whether the user was carried over (closer to
// the user than to the template), under both measures of scripts/identity.mjs side by side
// (aligned: the face made upright before the net, as dlib trained it, which the goal is
// asserted on; axis-aligned: face-api's own crop, asserted as a guard in test/swap-identity.test.ts),
// the seam gradient ratio (result ÷ portrait along the blend contours, as test/effects-quality.test.ts
// measures it, at shape 0) and composite + encode ms (Server-Timing of a server in its own process,
// JPEG at 1024 px, median of BENCH_SWAP_RUNS after one unmeasured request). Writes a contact sheet PNG to the path given
// (a tool: the service itself never writes files).
// SWAP_FIELDS sets the form fields (default "strength=100,shape=100").
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { SAMPLE_DIR, postEffect, startLocal, startProcess } from './service.mjs';
import { descriptorDistance, faceNearest, facesIn } from './identity.mjs';
import { seamRatio } from '../dist/tools/bench/seam.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: npm run bench:swap -- <sheet.png>');
  process.exit(2);
}
const SAMPLES = (process.env.BENCH_SWAP_SAMPLES ?? '1,2,3,4,5,6').split(',').map(Number);
const RUNS = Number(process.env.BENCH_SWAP_RUNS ?? 3);
const FACES = Number(process.env.BENCH_SWAP_FACES ?? 2);
const FIELDS = Object.fromEntries((process.env.SWAP_FIELDS ?? 'strength=100,shape=100').split(',').filter(Boolean).map((kv) => kv.split('=')));
// Below this descriptor distance the user and the template's person are the same person (the
// templates are cut from sample3 and sample6): "carried over" means nothing there, so it is not counted.
const SAME_PERSON = 0.45;
const MEASURES = ['aligned', 'axis'];
const CELL = 200;
const THUMB = 90;
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

// The users: the largest BENCH_SWAP_FACES faces of each sample photo, each cropped (2.4 × its
// box, from the full-size photo) as a selfie would frame it, so that the face swapped is known.
async function users() {
  const list = [];
  for (const n of SAMPLES) {
    const photo = readFileSync(join(SAMPLE_DIR, `sample${n}.jpg`));
    const meta = await sharp(photo).metadata();
    const found = await facesIn(photo, Math.max(meta.width, meta.height));
    for (const [k, f] of found.slice(0, FACES).entries()) {
      const side = Math.max(f.box.width, f.box.height) * 2.4;
      const left = Math.max(0, Math.round(f.box.x + f.box.width / 2 - side / 2));
      const top = Math.max(0, Math.round(f.box.y + f.box.height / 2 - side / 2));
      const bytes = await sharp(photo).extract({ left, top, width: Math.min(meta.width - left, Math.round(side)), height: Math.min(meta.height - top, Math.round(side)) })
        .jpeg({ quality: 95 }).toBuffer();
      const face = (await facesIn(bytes, 4096))[0];
      if (face) list.push({ name: `s${n}f${k}`, bytes, face, thumb: await crop(bytes, face.box, THUMB) });
    }
  }
  return list;
}

// BENCH_SWAP_TEMPLATES: another templates folder (e.g. copies with "blend": "feather", to compare).
const templatesEnv = process.env.BENCH_SWAP_TEMPLATES ? { TEMPLATES_DIR: process.env.BENCH_SWAP_TEMPLATES } : {};
const svc = await startLocal(templatesEnv);
// Timings come from a server in its own process, as deployed: in this one, the recognition nets'
// heap and garbage collection slowed composite + encode by 10–20 ms.
const timed = await startProcess(templatesEnv);
try {
  const registry = svc.service.state.templates;
  const templates = registry.list().filter((t) => t.kind === 'face-swap');
  const people = await users();
  const rows = [];
  const summary = { aligned: [], axis: [], refused: 0, seams: [], times: [] };
  console.log(`fields: ${JSON.stringify(FIELDS)}; identity: face-api faceRecognitionNet distance (< 0.6 = same person)`);
  console.log('                               aligned (upright crop)            |  axis-aligned (face-api\'s crop)');
  console.log('template        user  slot  d(user) d(tmpl) carried d(u,t)  |  d(user) d(tmpl) carried d(u,t)  roll   seam  composite+encode ms');
  for (const t of templates) {
    const artPng = await sharp(t.art.data, { raw: { width: t.art.width, height: t.art.height, channels: t.art.channels } }).png().toBuffer();
    const templateFaces = await facesIn(artPng, 4096);
    const slotFaces = t.slots.map((slot) => faceNearest(templateFaces, eyeMid(slot.anchors, 1)));
    const row = { template: t, artPng, slotFaces, cells: [] };
    for (const person of people) {
      const fields = { format: 'png', maxSize: 1024, face: 'largest', ...FIELDS };
      const res = await postEffect(svc.url, t.id, person.bytes, fields);
      if (!res.ok) {
        const body = await res.json();
        console.log(`${t.id.padEnd(15)} ${person.name}  —     ${res.status} ${body.code}`);
        row.cells.push({ person, error: `${res.status} ${body.code}` });
        summary.refused++;
        continue;
      }
      const result = Buffer.from(await res.arrayBuffer());
      const times = [];
      await (await postEffect(timed.url, t.id, person.bytes, { ...fields, format: 'jpeg' })).arrayBuffer();
      for (let i = 0; i < RUNS; i++) {
        const r = await postEffect(timed.url, t.id, person.bytes, { ...fields, format: 'jpeg' });
        await r.arrayBuffer();
        const st = r.headers.get('server-timing');
        times.push(timing(st, 'composite') + timing(st, 'encode'));
      }
      const ms = median(times);
      const resultFaces = await facesIn(result, 4096);
      // Seams are measured with the geometry left alone (shape 0): with shape, the portrait's own
      // contours move and the measure would count the moved jaw line as a seam.
      const flat = await postEffect(svc.url, t.id, person.bytes, { ...fields, ...(FIELDS.shape ? { shape: 0 } : {}) });
      const flatRaw = await sharp(Buffer.from(await flat.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
      const seam = seamRatio({ data: flatRaw.data, width: flatRaw.info.width }, t);
      const cell = { person, result, slots: [] };
      summary.seams.push(seam);
      summary.times.push(ms);
      for (const [s, slot] of t.slots.entries()) {
        const user = person.face;
        const got = faceNearest(resultFaces, eyeMid(slot.anchors, 1));
        const tmpl = slotFaces[s];
        const found = got && Math.hypot(
          (got.landmarks[36][0] + got.landmarks[45][0]) / 2 - eyeMid(slot.anchors, 1)[0],
          (got.landmarks[36][1] + got.landmarks[45][1]) / 2 - eyeMid(slot.anchors, 1)[1],
        ) < tmpl.box.width * 0.5;
        // Each measure on its own descriptors, the same rule for user, template and result.
        const measure = (key) => {
          const dUT = descriptorDistance(user[key], tmpl[key]);
          const same = dUT < SAME_PERSON;
          const dUser = found ? descriptorDistance(got[key], user[key]) : Number.NaN;
          const dTemplate = found ? descriptorDistance(got[key], tmpl[key]) : Number.NaN;
          const carried = !found ? 'no face' : same ? 'same' : dUser < dTemplate ? 'yes' : 'NO';
          return { dUT, same, dUser, dTemplate, carried };
        };
        const m = { aligned: measure('alignedDescriptor'), axis: measure('descriptor') };
        cell.slots.push(m.aligned);
        for (const key of MEASURES) if (!m[key].same) summary[key].push({ ...m[key], seam, ms, name: `${t.id} ${person.name} slot ${s}` });
        const col = (r) => `${r.dUser.toFixed(3).padStart(6)} ${r.dTemplate.toFixed(3).padStart(6)} ${r.carried.padStart(7)} ${r.dUT.toFixed(3).padStart(6)}`;
        console.log(`${t.id.padEnd(15)} ${person.name}  ${String(s).padStart(4)}  ${col(m.aligned)}  |  ${col(m.axis)}  ${(user.roll ?? 0).toFixed(0).padStart(4)}°  ${seam.toFixed(2).padStart(5)}  ${ms.toFixed(1).padStart(8)}`);
      }
      row.cells.push(cell);
    }
    rows.push(row);
  }
  const stats = (key) => {
    const counted = summary[key].filter((r) => Number.isFinite(r.dUser));
    return {
      counted, lost: summary[key].length - counted.length,
      carried: counted.filter((r) => r.carried === 'yes').length,
      meanUser: counted.reduce((a, r) => a + r.dUser, 0) / counted.length,
      meanTemplate: counted.reduce((a, r) => a + r.dTemplate, 0) / counted.length,
    };
  };
  const al = stats('aligned'); const ax = stats('axis');
  console.log(`\ncloser to the user: ${al.carried}/${al.counted.length} aligned, ${ax.carried}/${ax.counted.length} axis-aligned (faces not found again in the result: ${al.lost}; requests refused: ${summary.refused})`);
  console.log(`mean d(result, user) ${al.meanUser.toFixed(3)} aligned, ${ax.meanUser.toFixed(3)} axis-aligned; mean d(result, template) ${al.meanTemplate.toFixed(3)} aligned, ${ax.meanTemplate.toFixed(3)} axis-aligned`);
  for (const key of MEASURES) {
    for (const r of summary[key].filter((x) => x.carried === 'NO')) console.log(`  not carried (${key}): ${r.name}: d(user) ${r.dUser.toFixed(3)}, d(template) ${r.dTemplate.toFixed(3)}`);
  }
  console.log(`seam ratio max ${Math.max(...summary.seams).toFixed(2)}, median ${median(summary.seams).toFixed(2)}`);
  console.log(`composite+encode (jpeg, 1024 px) p50 ${median(summary.times).toFixed(1)} ms over ${summary.times.length} photo×template medians`);

  // Contact sheet: a row per template slot: the template's face, then per user the result around
  // that face with the user's face as a small inset under it.
  const cells = [];
  let top = GAP;
  for (const row of rows) {
    for (const face of row.slotFaces) {
      cells.push({ input: await crop(row.artPng, face.box, CELL), left: GAP, top });
      for (const [col, cell] of row.cells.entries()) {
        const left = GAP + (col + 1) * (CELL + GAP);
        if (cell.error) {
          cells.push({ input: await sharp({ create: { width: CELL, height: CELL, channels: 3, background: '#552222' } }).png().toBuffer(), left, top });
          cells.push({ input: cell.person.thumb, left, top: top + CELL + GAP });
          continue;
        }
        cells.push({ input: await crop(cell.result, face.box, CELL), left, top });
        cells.push({ input: cell.person.thumb, left, top: top + CELL + GAP });
      }
      top += CELL + THUMB + 3 * GAP;
    }
  }
  const width = GAP + (people.length + 1) * (CELL + GAP);
  const sheet = await sharp({ create: { width, height: top, channels: 3, background: '#101010' } }).composite(cells).png().toBuffer();
  writeFileSync(out, sheet);
  console.log(`wrote ${out} (${width}×${top})`);
} finally {
  await timed.close();
  await svc.close();
}
