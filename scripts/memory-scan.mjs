// Scans a live process's memory for byte strings, through /proc/PID/maps and /proc/PID/mem
// (Linux; needs ptrace rights over the process: root, or the same user with ptrace_scope 0).
// Shared by test/process-memory.test.ts and scripts/measure-malloc-perturb.mjs.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const CHUNK = 8 * 1024 * 1024;

/** Readable regions of `pid`, except the kernel's [vvar]/[vsyscall] (not readable through mem). */
export function readableRegions(pid) {
  const regions = [];
  for (const line of readFileSync(`/proc/${pid}/maps`, 'latin1').split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, from, to, perms, name] = match;
    if (perms[0] !== 'r' || name === '[vvar]' || name === '[vsyscall]' || name === '[vvar_vclock]') continue;
    regions.push({ start: BigInt(`0x${from}`), end: BigInt(`0x${to}`), perms, name });
  }
  return regions;
}

const ALNUM = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') ALNUM[c.charCodeAt(0)] = 1;

/**
 * Every place in `pid`'s readable memory where one of `needles` occurs. Needles must be
 * letters and digits only (as randomMarker/markerPieces make them), all of one length: the scan
 * walks memory once, and only looks up windows inside runs of letters and digits, so the cost
 * does not grow with the number of needles.
 * Returns { hits: [{ needle, address, region }], bytesScanned, unreadableRegions }.
 */
export function scanProcess(pid, needles) {
  const width = needles[0].length;
  const lookup = new Map();
  for (const [index, needle] of needles.entries()) {
    if (needle.length !== width || needle.some((b) => !ALNUM[b])) throw new Error('needles must be alphanumeric and of one length');
    lookup.set(needle.toString('latin1'), index);
  }
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const buffer = Buffer.alloc(CHUNK);
  const hits = [];
  let bytesScanned = 0;
  let unreadableRegions = 0;
  try {
    for (const region of readableRegions(pid)) {
      // A run of letters/digits may continue across chunks: keep its start (and bytes) along.
      let run = [];
      let runStart = 0n;
      const flush = () => {
        if (run.length > 0) {
          const text = Buffer.concat(run).toString('latin1');
          for (let i = 0; i + width <= text.length; i++) {
            const index = lookup.get(text.slice(i, i + width));
            if (index !== undefined) hits.push({ needle: index, address: `0x${(runStart + BigInt(i)).toString(16)}`, region: `${region.perms} ${region.name || '[anon]'}` });
          }
        }
        run = [];
      };
      for (let at = region.start; at < region.end;) {
        const want = Number(region.end - at < BigInt(CHUNK) ? region.end - at : BigInt(CHUNK));
        let got;
        try {
          got = readSync(fd, buffer, 0, want, at);
        } catch {
          unreadableRegions++;
          break;
        }
        if (got <= 0) break;
        if (!ALNUM[buffer[0]]) flush(); // a run carried from the last chunk ended exactly there
        let i = 0;
        while (i < got) {
          if (!ALNUM[buffer[i]]) { i++; continue; }
          let j = i;
          while (j < got && ALNUM[buffer[j]]) j++;
          const continues = j === got;
          if (run.length > 0 && i !== 0) flush();
          if (run.length === 0) runStart = at + BigInt(i);
          if (j - i >= width || continues || run.length > 0) run.push(Buffer.from(buffer.subarray(i, j)));
          if (!continues) flush();
          i = j;
        }
        bytesScanned += got;
        at += BigInt(got);
      }
      flush();
    }
  } finally {
    closeSync(fd);
    buffer.fill(0);
  }
  return { hits, bytesScanned, unreadableRegions };
}

/** A random marker of `length` letters and digits (latin1), e.g. for a JPEG comment. */
export function randomMarker(length, randomBytes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * `marker` cut into non-overlapping pieces of `size` bytes. Freed memory is partly overwritten
 * by the allocator (free-list pointers in the first 16 bytes of a block), so a residue may hold
 * only part of a marker: searching for every piece finds partial copies too. 16 random
 * characters of a 62-letter alphabet are 95 bits: no piece occurs by chance.
 */
export function markerPieces(marker, size = 16) {
  const pieces = [];
  for (let i = 0; i + size <= marker.length; i += size) pieces.push(Buffer.from(marker.slice(i, i + size), 'latin1'));
  return pieces;
}
