/* global fetch, Buffer, performance, AbortSignal, FormData, Blob */
// Runs INSIDE the mayfly container (`podman exec -i <ctr> node --input-type=module -e "$(cat probe.mjs)" -- <command>`),
// under the container's own user, capabilities and network: every request goes to the pod's own
// loopback, so the test needs no published port and sends nothing off the machine. Prints one
// JSON line; the shell script (scripts/test-container.sh) judges it.
import { readdirSync, lstatSync, openSync, closeSync, writeFileSync, unlinkSync, mkdirSync, rmdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(1);
const base = `http://127.0.0.1:${process.env.PORT ?? 8080}`;
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function stdinBytes() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The main process's identity and privileges, as the kernel sees them. */
function identity() {
  const status = Object.fromEntries(readFileSync('/proc/1/status', 'utf8').trim().split('\n')
    .map((line) => line.split(/:\s*/, 2)));
  // The root mount's options (field 6 of mountinfo, "rw,…" or "ro,…").
  const rootMount = readFileSync('/proc/1/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
  return {
    cmdline: readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean).join(' '),
    uid: status.Uid, gid: status.Gid, groups: status.Groups ?? '',
    capInh: status.CapInh, capPrm: status.CapPrm, capEff: status.CapEff, capBnd: status.CapBnd, capAmb: status.CapAmb,
    noNewPrivs: status.NoNewPrivs, seccomp: status.Seccomp,
    rootMountOptions: rootMount?.split(' ')[5] ?? 'unknown',
  };
}

/**
 * Tries to write everywhere: a new file and a new folder in every directory of the filesystem,
 * and opening every regular file for writing (without changing it). /proc and /sys are the
 * kernel's; device nodes (/dev/null and friends) are not storage. Lists what succeeded.
 */
function writable() {
  const skip = new Set(['/proc', '/sys']);
  const wrote = [];
  let dirs = 0;
  let files = 0;
  const probeName = `.mayfly-write-probe-${process.pid}`;
  const walk = (dir) => {
    dirs++;
    const file = join(dir, probeName);
    let created = false;
    try {
      closeSync(openSync(file, 'wx'));
      created = true;
      wrote.push(`file in ${dir}`);
      writeFileSync(file, 'x');
    } catch { /* expected: EROFS or EACCES (or, once created, a file that takes no bytes) */ }
    if (created) try { unlinkSync(file); } catch { /* reported above */ }
    try {
      mkdirSync(file);
      wrote.push(`folder in ${dir}`);
      rmdirSync(file);
    } catch { /* expected */ }
    let names = [];
    try { names = readdirSync(dir); } catch { return; }
    for (const name of names) {
      const path = join(dir, name);
      if (skip.has(path)) continue;
      let stat;
      try { stat = lstatSync(path); } catch { continue; }
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) {
        files++;
        try {
          closeSync(openSync(path, 'r+'));
          wrote.push(`open for writing ${path}`);
        } catch { /* expected */ }
      }
    }
  };
  walk('/');
  const home = process.env.HOME;
  const tmp = process.env.TMPDIR;
  return { dirs, files, writable: wrote, home, tmpdir: tmp };
}

async function request(method, path, body, headers = {}) {
  const started = performance.now();
  try {
    const response = await fetch(path.startsWith('http') ? path : `${base}${path}`, { method, body, headers, signal: AbortSignal.timeout(60_000) });
    const bytes = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    const text = type.includes('json') || type.startsWith('text/') ? bytes.toString('utf8') : undefined;
    let faces;
    try { faces = type.includes('json') ? JSON.parse(text).faces?.length : undefined; } catch { /* not JSON after all */ }
    return {
      status: response.status, contentType: type, bytes: bytes.length, ms: Math.round(performance.now() - started),
      ...(faces !== undefined ? { faces } : {}), body: text?.slice(0, response.status === 200 && faces !== undefined ? 200 : 2000),
    };
  } catch (error) {
    return { status: 0, error: String(error?.cause?.code ?? error?.message ?? error), ms: Math.round(performance.now() - started) };
  }
}

async function upload(path) {
  const photo = await stdinBytes();
  const form = new FormData();
  form.set('image', new Blob([photo], { type: 'image/jpeg' }), 'sample1.jpg');
  for (const field of args.slice(1)) {
    const at = field.indexOf('=');
    form.set(field.slice(0, at), field.slice(at + 1));
  }
  return request('POST', path, form, process.env.PROBE_KEY ? { authorization: `Bearer ${process.env.PROBE_KEY}` } : {});
}

switch (command) {
  case 'identity': print(identity()); break;
  case 'writable': print(writable()); break;
  case 'get': print(await request('GET', args[0])); break;
  case 'post': print(await upload(args[0])); break;
  default: print({ error: `unknown probe command ${command}` }); process.exitCode = 2;
}
