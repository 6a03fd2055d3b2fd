/* global fetch */
// npm run bench:composite: composite + encode time per request at 1024 px output, p50/p95 per
// template kind, read from the service's own Server-Timing header (so detection and upload are
// excluded). Bounded: BENCH_RUNS requests per template after BENCH_WARMUP warm-up requests.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE_DIR, postEffect, startLocal } from './service.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 12);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const FORMAT = process.env.BENCH_FORMAT ?? 'jpeg';
// BENCH_KINDS=face-swap,…: only templates of these kinds. BENCH_SWAP_FIELDS=strength=100,shape=100:
// form fields for face-swap requests (both sides of an A/B run; BENCH_AB_FIELDS: side A only).
const KINDS = (process.env.BENCH_KINDS ?? '').split(',').filter(Boolean);
const SWAP_FIELDS = Object.fromEntries((process.env.BENCH_SWAP_FIELDS ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')));
const wanted = (t) => KINDS.length === 0 || KINDS.includes(t.kind);
const fieldsFor = (t) => ({ format: FORMAT, maxSize: 1024, ...(t.kind === 'face-swap' ? SWAP_FIELDS : {}) });
const photos = [1, 2, 3, 4, 5, 6].map((n) => readFileSync(join(SAMPLE_DIR, `sample${n}.jpg`)));

function timing(header, name) {
  const m = new RegExp(`${name};dur=([0-9.]+)`).exec(header ?? '');
  return m ? Number(m[1]) : Number.NaN;
}
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

// BENCH_AB_ROOT=<another checkout, built>: A/B instead: this tree's service and that tree's, each
// in a child process, requests alternating between them (order swapped every round), so that the
// load other processes put on the machine falls on both alike.
if (process.env.BENCH_AB_ROOT) {
  await abRun(process.env.BENCH_AB_ROOT);
  process.exit(0);
}

const svc = await startLocal();
try {
  const { templates } = await (await fetch(`${svc.url}/v1/templates`)).json();
  const byKind = new Map();
  const failures = new Map();
  for (const t of templates.filter(wanted)) {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const res = await postEffect(svc.url, t.id, photos[i % photos.length], fieldsFor(t));
      await res.arrayBuffer();
      if (!res.ok) failures.set(res.status, (failures.get(res.status) ?? 0) + 1);
      if (!res.ok || i < WARMUP) continue;
      const st = res.headers.get('server-timing');
      const row = { composite: timing(st, 'composite'), encode: timing(st, 'encode') };
      const list = byKind.get(t.kind) ?? [];
      list.push(row);
      byKind.set(t.kind, list);
    }
  }
  if (Object.keys(SWAP_FIELDS).length) console.log(`face swaps with ${JSON.stringify(SWAP_FIELDS)}`);
  console.log(`composite + encode at 1024 px output (${FORMAT}), ${RUNS} requests per template after ${WARMUP} warm-up, ms`);
  console.log('kind          n   composite p50/p95   encode p50/p95   composite+encode p50/p95');
  for (const [kind, rows] of byKind) {
    const c = rows.map((r) => r.composite).sort((a, b) => a - b);
    const e = rows.map((r) => r.encode).sort((a, b) => a - b);
    const t = rows.map((r) => r.composite + r.encode).sort((a, b) => a - b);
    const f = (s) => `${pct(s, 50).toFixed(1)}/${pct(s, 95).toFixed(1)}`;
    console.log(`${kind.padEnd(13)} ${String(rows.length).padStart(3)}   ${f(c).padStart(17)}   ${f(e).padStart(14)}   ${f(t).padStart(24)}`);
  }
  // Not every photo suits every template (e.g. a face too small for it): say how many were left out.
  if (failures.size > 0) console.log(`not counted (non-200 answers): ${[...failures].map(([s, n]) => `${s}×${n}`).join(' ')}`);
} finally {
  await svc.close();
}

async function abRun(otherRoot) {
  const here = fileURLToPath(new URL('..', import.meta.url));
  const start = (root) => new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('bench-ab-child.mjs', import.meta.url)), [root], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const waiting = new Map();
    let next = 0;
    child.on('message', (m) => {
      if (m.ready) resolve({ child, templates: m.templates, send: (msg) => new Promise((r) => { const id = next++; waiting.set(id, r); child.send({ ...msg, id }); }) });
      else { waiting.get(m.id)?.(m); waiting.delete(m.id); }
    });
    child.on('error', reject);
  });
  const sides = { A: await start(here), B: await start(otherRoot) };
  try {
    const rows = { A: new Map(), B: new Map() };
    const swapFields = (process.env.BENCH_AB_FIELDS ?? '').split(',').filter(Boolean).map((kv) => kv.split('='));
    for (const t of sides.A.templates.filter(wanted)) {
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const order = i % 2 ? ['B', 'A'] : ['A', 'B'];
        for (const side of order) {
          const fields = { ...fieldsFor(t), ...(t.kind === 'face-swap' && side === 'A' ? Object.fromEntries(swapFields) : {}) };
          const m = await sides[side].send({ template: t.id, photo: i % photos.length, fields });
          if (m.status !== 200 || i < WARMUP) continue;
          const list = rows[side].get(t.kind) ?? [];
          list.push(timing(m.timing, 'composite') + timing(m.timing, 'encode'));
          rows[side].set(t.kind, list);
        }
      }
    }
    console.log(`A/B composite + encode at 1024 px (${FORMAT}), ms, ${RUNS} requests per template after ${WARMUP} warm-up, alternating`);
    if (Object.keys(SWAP_FIELDS).length) console.log(`face swaps with ${JSON.stringify(SWAP_FIELDS)} on both sides`);
    console.log(`A = ${here}${swapFields.length ? ` (face swaps with ${swapFields.map((kv) => kv.join('=')).join(', ')})` : ''}`);
    console.log(`B = ${otherRoot}`);
    console.log('kind            n   A p50/p95        B p50/p95        A/B p50');
    for (const [kind, a] of rows.A) {
      const b = rows.B.get(kind) ?? [];
      const sa = [...a].sort((x, y) => x - y); const sb = [...b].sort((x, y) => x - y);
      const f = (s) => (s.length ? `${pct(s, 50).toFixed(1)}/${pct(s, 95).toFixed(1)}` : '—');
      console.log(`${kind.padEnd(13)} ${String(a.length).padStart(3)}   ${f(sa).padEnd(14)}   ${f(sb).padEnd(14)}   ${sb.length ? (pct(sa, 50) / pct(sb, 50)).toFixed(2) : '—'}`);
    }
  } finally {
    for (const side of Object.values(sides)) side.child.disconnect();
  }
}
