/* global Buffer */
// A child of npm run bench:composite with BENCH_AB_ROOT: runs the service of the tree at argv[2]
// (its own compiled dist/, through its scripts/service.mjs) and answers effect requests sent over
// IPC with the Server-Timing header, so two builds can be timed alternately in one run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.argv[2];
const { SAMPLE_DIR, startLocal, postEffect } = await import(pathToFileURL(join(root, 'scripts', 'service.mjs')).href);
const photos = [1, 2, 3, 4, 5, 6].map((n) => readFileSync(join(SAMPLE_DIR, `sample${n}.jpg`)));
const svc = await startLocal();
process.on('message', async ({ id, template, photo, fields }) => {
  const res = await postEffect(svc.url, template, photos[photo], fields);
  const body = Buffer.from(await res.arrayBuffer());
  body.fill(0);
  process.send({ id, status: res.status, timing: res.headers.get('server-timing') });
});
process.on('disconnect', () => { void svc.close().then(() => process.exit(0)); });
process.send({ ready: true, templates: svc.service.state.templates.list().map((t) => ({ id: t.id, kind: t.kind })) });
