/* global fetch, Buffer */
// npm run goldens: regenerates test/goldens/<template>.jpg deliberately (run it only when a change
// to the compositing is intended; review the images before committing them). Each golden is the
// effect on sample3 (overlays: a 600 px crop around its largest face, so the art is large enough to
// matter), at 1024 px, scaled to 256 px on the long edge, JPEG q92 4:4:4 (small; compared with a tolerance).
// test/golden-inputs.ts builds the same inputs for the test.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { SAMPLE_DIR, postEffect, startLocal } from './service.mjs';

import { goldenInput } from './golden-inputs.mjs';
const dir = new URL('../test/goldens/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
const svc = await startLocal();
try {
  const { templates } = await (await fetch(`${svc.url}/v1/templates`)).json();
  for (const t of templates) {
    const res = await postEffect(svc.url, t.id, await goldenInput(t.kind, readFileSync(join(SAMPLE_DIR, 'sample3.jpg'))), { format: 'png', maxSize: 1024 });
    if (!res.ok) throw new Error(`${t.id}: ${res.status}`);
    const small = await sharp(Buffer.from(await res.arrayBuffer())).resize(256, 256, { fit: 'inside' }).jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer();
    writeFileSync(join(dir, `${t.id}.jpg`), small);
    console.log(`${t.id}.jpg ${small.length} bytes`);
  }
} finally {
  await svc.close();
}
