/* global fetch, Buffer */
// npm run gallery -- <out.png|->: a contact sheet of every template × sample photos, for a person to
// look at. Row per template: its preview, then the effect on each sample photo. A tool: the service
// itself never writes files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { SAMPLE_DIR, postEffect, startLocal } from './service.mjs';

const out = process.argv[2];
if (!out) {
  console.error('usage: npm run gallery -- <out.png|->');
  process.exit(2);
}
const SAMPLES = (process.env.GALLERY_SAMPLES ?? '1,3,6,2').split(',').map(Number);
const CELL = 320;
const GAP = 8;

const svc = await startLocal();
try {
  const { templates } = await (await fetch(`${svc.url}/v1/templates`)).json();
  const cells = [];
  for (const [row, t] of templates.entries()) {
    const preview = Buffer.from(await (await fetch(`${svc.url}${t.previewUrl}`)).arrayBuffer());
    const images = [preview];
    for (const n of SAMPLES) {
      const res = await postEffect(svc.url, t.id, readFileSync(join(SAMPLE_DIR, `sample${n}.jpg`)), { format: 'png', maxSize: 1024 });
      if (res.ok) images.push(Buffer.from(await res.arrayBuffer()));
      else {
        console.error(`${t.id} × sample${n}: ${res.status} ${(await res.json()).code}`);
        images.push(await sharp({ create: { width: CELL, height: CELL, channels: 3, background: '#552222' } }).png().toBuffer());
      }
    }
    for (const [col, image] of images.entries()) {
      const input = await sharp(image).resize(CELL, CELL, { fit: 'contain', background: '#202020' }).png().toBuffer();
      cells.push({ input, left: GAP + col * (CELL + GAP), top: GAP + row * (CELL + GAP) });
    }
  }
  const width = GAP + (SAMPLES.length + 1) * (CELL + GAP);
  const height = GAP + templates.length * (CELL + GAP);
  const sheet = await sharp({ create: { width, height, channels: 3, background: '#101010' } }).composite(cells).png().toBuffer();
  if (out === '-') process.stdout.write(sheet);
  else {
    writeFileSync(out, sheet);
    console.error(`wrote ${out}: ${templates.length} templates × ${SAMPLES.length} photos (${width}×${height})`);
  }
} finally {
  await svc.close();
}
