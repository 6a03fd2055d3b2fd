/**
 * A small deterministic mutator for the fuzz test: the same seed gives the same mutants on every
 * machine, so a failure names a reproducible input (seed and index). Mutations are the classic
 * ones of byte-level fuzzers, plus a few aimed at length fields and container structure.
 */
import { crc32 } from 'node:zlib';

export type Random = () => number;

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (random: Random, below: number): number => Math.floor(random() * below);
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x10000];

/** Offsets weighted towards the start, where headers (and the interesting fields) are. */
function offset(random: Random, length: number): number {
  const r = random();
  return Math.min(length - 1, Math.floor((r < 0.6 ? r * r : r) * length));
}

const mutations: ((b: Buffer, random: Random) => Buffer)[] = [
  // flip a few bits
  (b, random) => {
    const out = Buffer.from(b);
    for (let i = 1 + int(random, 8); i > 0; i--) { const at = offset(random, out.length); out[at] = out[at]! ^ (1 << int(random, 8)); }
    return out;
  },
  // set a byte to an interesting value
  (b, random) => {
    const out = Buffer.from(b);
    out[offset(random, out.length)] = INTERESTING[int(random, INTERESTING.length)]!;
    return out;
  },
  // overwrite a 32-bit field (lengths, sizes, dimensions) with an extreme value, either endianness
  (b, random) => {
    const out = Buffer.from(b);
    const at = Math.min(out.length - 4, offset(random, out.length));
    const value = INTERESTING_32[int(random, INTERESTING_32.length)]!;
    if (random() < 0.5) out.writeUInt32BE(value, at); else out.writeUInt32LE(value, at);
    return out;
  },
  // truncate
  (b, random) => b.subarray(0, Math.max(1, int(random, b.length))),
  // random bytes over a span
  (b, random) => {
    const out = Buffer.from(b);
    const at = offset(random, out.length);
    for (let i = at; i < Math.min(out.length, at + 1 + int(random, 64)); i++) out[i] = int(random, 256);
    return out;
  },
  // duplicate a span (repeated chunks, segments, boxes)
  (b, random) => {
    const at = offset(random, b.length);
    const span = b.subarray(at, at + 1 + int(random, 512));
    return Buffer.concat([b.subarray(0, at), span, span, b.subarray(at)]);
  },
  // delete a span
  (b, random) => {
    const at = offset(random, b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(random, 256))]);
  },
  // splice in bytes from elsewhere in the file
  (b, random) => {
    const from = int(random, b.length);
    const at = offset(random, b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(from, from + 1 + int(random, 128)), b.subarray(at)]);
  },
];

/** One mutant of `input`: one to three stacked mutations. */
export function mutate(input: Buffer, random: Random): Buffer {
  let out = input;
  for (let n = 1 + int(random, 3); n > 0 && out.length > 0; n--) out = mutations[int(random, mutations.length)]!(out, random);
  return out.length > 0 ? out : input.subarray(0, 1);
}

export function pick<T>(items: readonly T[], random: Random): T {
  return items[int(random, items.length)]!;
}

/**
 * Recomputes the CRC of every whole PNG chunk, so that a mutant gets past libpng's CRC check and
 * into the chunk parsers and the decoder (otherwise nearly every PNG mutant stops at the CRC).
 */
export function fixPngCrcs(png: Buffer): Buffer {
  const out = Buffer.from(png);
  for (let at = 8; at + 12 <= out.length;) {
    const length = out.readUInt32BE(at);
    if (at + 12 + length > out.length) break;
    out.writeUInt32BE(crc32(out.subarray(at + 4, at + 8 + length)) >>> 0, at + 8 + length);
    at += 12 + length;
  }
  return out;
}
