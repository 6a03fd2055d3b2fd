import type { DecodeProfile } from './header.js';

export interface DecodeCostOptions {
  /** Long edge of the decoded copy (detectMaxSide for landmarks, maxSize for effects). */
  readonly maxSide: number;
}

const MiB = 1024 * 1024;

/**
 * Native memory (bytes) that decoding one image with decodeToMaxSide() raises the process's
 * peak RSS by, estimated from its header alone, so that admission can weigh a request before
 * libvips allocates anything. A pixel limit alone does not bound memory: a 550 KB progressive
 * JPEG costs 300 MiB, a 600 KB interlaced 16-bit PNG 460 MiB.
 *
 * Calibrated with scripts/measure-decode-cost.mjs (VmHWM of a fresh process around one decode,
 * sharp.concurrency(1), the `npm start` malloc settings), P = width × height pixels:
 *
 *   out      = outPx × 9 + 4 MiB       outPx = P × min(1, maxSide / long edge)²: libvips' RGB
 *                                       output, sharp's copy and the owned copy (3 bytes each),
 *                                       plus fixed working memory
 *   JPEG     baseline: out             (shrink-on-load streams a few MCU rows)
 *            progressive: P × s × 2 + out   libjpeg keeps every DCT coefficient (int16) of the
 *                                       image, s = stored samples per pixel (4:4:4 → 3, 4:2:0 → 1.5)
 *   PNG      P × 2.5 + out             (sequential rows, yet measured 1.9–2.3 bytes/pixel)
 *            interlaced: P × (c × b + 2) + 8 MiB + out   Adam7 needs the whole image, c channels of
 *                                       b bytes (16-bit → 2)
 *   WebP     P × 4.25 + out (+ P with alpha)   libwebp holds the full-size frame (YUV + RGB)
 *            lossless: P × 8 + out     its ARGB image plus a full-size copy before shrinking
 *   AVIF     P × 20 × b + out          libheif/dav1d: YUV planes, RGB conversion, libvips copy
 *   animated × 2 (canvas and previous frame; refused by decode.ts anyway)
 *
 * The estimate is meant to be at or above the measured peak (ratios 1.0–1.3 on the expensive
 * cases, more on cheap ones); the table the script prints is in docs (the lead's notes) and in
 * the report of issue 13. Measured MiB at maxSide 512 / 2048:
 *   JPEG 8000×6000 progressive 4:4:4    279 / 295
 *   JPEG 8000×6000 progressive 4:2:0    143 / 163
 *   JPEG 8000×6000 baseline 4:2:0         3 /  25
 *   PNG 7071² RGBA16 interlaced         463 / 464
 *   PNG 7071² RGBA16                    114 / 115
 *   WebP 7000² lossy                    189 / 204
 *   WebP 4000×3000 lossless              48 / 101
 *   AVIF 8000×6000                      841 / 856
 *   AVIF 4000×3000                      224 / 230
 * Text and metadata chunks are not counted: decode.ts strips them before libvips sees them.
 */
export function decodeCost(profile: DecodeProfile, options: DecodeCostOptions): number {
  const pixels = profile.width * profile.height;
  const scale = Math.min(1, options.maxSide / Math.max(profile.width, profile.height));
  const out = pixels * scale * scale * 9 + 4 * MiB;
  const bytesPerSample = profile.bitDepth > 8 ? 2 : 1;
  let working: number;
  switch (profile.format) {
    case 'jpeg':
      working = profile.interlaced ? pixels * profile.storedSamplesPerPixel * 2 * bytesPerSample : 0;
      break;
    case 'png':
      // Interlaced: plus 8 MiB of fixed working memory, seen at 9 MP (111 MB measured on a busy host).
      working = profile.interlaced ? pixels * (profile.channels * bytesPerSample + 2) + 8 * MiB : pixels * 2.5;
      break;
    case 'webp':
      working = pixels * (profile.lossless ? 8 : 4.25 + (profile.channels === 4 ? 1 : 0));
      break;
    case 'avif':
      working = pixels * 20 * bytesPerSample;
      break;
  }
  return Math.ceil((working + out) * (profile.animated ? 2 : 1));
}
