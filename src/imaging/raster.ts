import type { Affine, Point } from './geometry.js';

/**
 * Raw pixel maths on typed arrays, for what sharp cannot do per pixel: sampling through an
 * affine map, polygon masks, feathering. Images are interleaved 8-bit, RGB or RGBA; the centre
 * of pixel (x, y) is at coordinates (x, y), as landmarks are reported.
 */
export interface Raster {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

/** An axis-aligned pixel rectangle inside an image. */
export interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The bounding box of `points`, grown by `margin`, clipped to the image; null if empty. */
export function regionAround(points: readonly Point[], margin: number, width: number, height: number): Region | null {
  let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
  for (const [x, y] of points) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  const left = Math.max(0, Math.floor(x0 - margin));
  const top = Math.max(0, Math.floor(y0 - margin));
  const right = Math.min(width, Math.ceil(x1 + margin) + 1);
  const bottom = Math.min(height, Math.ceil(y1 + margin) + 1);
  return right > left && bottom > top ? { x: left, y: top, width: right - left, height: bottom - top } : null;
}

/** Bilinear sample of channel values at (x, y) into `out` (clamped to the edge); false if outside. */
export function sample(img: Raster, x: number, y: number, out: Float32Array): boolean {
  if (x < -0.5 || y < -0.5 || x > img.width - 0.5 || y > img.height - 0.5) return false;
  const fx = Math.min(Math.max(x, 0), img.width - 1);
  const fy = Math.min(Math.max(y, 0), img.height - 1);
  const x0 = Math.floor(fx); const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, img.width - 1); const y1 = Math.min(y0 + 1, img.height - 1);
  const tx = fx - x0; const ty = fy - y0;
  const ch = img.channels; const d = img.data;
  const i00 = (y0 * img.width + x0) * ch; const i10 = (y0 * img.width + x1) * ch;
  const i01 = (y1 * img.width + x0) * ch; const i11 = (y1 * img.width + x1) * ch;
  for (let c = 0; c < ch; c++) {
    const top = d[i00 + c]! + (d[i10 + c]! - d[i00 + c]!) * tx;
    const bottom = d[i01 + c]! + (d[i11 + c]! - d[i01 + c]!) * tx;
    out[c] = top + (bottom - top) * ty;
  }
  return true;
}

/**
 * Draws RGBA `art` onto RGB `dst` inside `region`; `toArt` maps destination pixel centres to art
 * coordinates. Straight (non-premultiplied) alpha, scaled by `opacity`.
 */
export function drawArt(dst: Raster, art: Raster, toArt: Affine, region: Region, opacity = 1): void {
  const px = new Float32Array(4);
  for (let y = region.y; y < region.y + region.height; y++) {
    for (let x = region.x; x < region.x + region.width; x++) {
      if (!sample(art, toArt.a * x + toArt.b * y + toArt.c, toArt.d * x + toArt.e * y + toArt.f, px)) continue;
      const alpha = (px[3]! / 255) * opacity;
      if (alpha <= 0.002) continue;
      const i = (y * dst.width + x) * 3;
      for (let c = 0; c < 3; c++) dst.data[i + c] = Math.round(dst.data[i + c]! + (px[c]! - dst.data[i + c]!) * alpha);
    }
  }
}

/**
 * The runs of pixels inside `polygon` (even–odd rule; pixel (x, y) has its centre at x, y), row by
 * row over `region`: `visit(row, from, to)` with columns from (inclusive) to (exclusive), from < to.
 */
function insideSpans(polygon: readonly Point[], region: Region, visit: (row: number, from: number, to: number) => void): void {
  const xs: number[] = [];
  for (let row = 0; row < region.height; row++) {
    const y = region.y + row;
    xs.length = 0;
    for (let i = 0; i < polygon.length; i++) {
      const [x0, y0] = polygon[i]!; const [x1, y1] = polygon[(i + 1) % polygon.length]!;
      if ((y0 <= y && y1 > y) || (y1 <= y && y0 > y)) xs.push(x0 + ((y - y0) / (y1 - y0)) * (x1 - x0));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k]! - region.x));
      const to = Math.min(region.width, Math.ceil(xs[k + 1]! - region.x));
      if (to > from) visit(row, from, to);
    }
  }
}

/** 1 inside `polygon` (even–odd rule; pixel (x, y) has its centre at x, y), 0 outside, over `region`. */
export function polygonMask(polygon: readonly Point[], region: Region): Float32Array {
  const mask = new Float32Array(region.width * region.height);
  insideSpans(polygon, region, (row, from, to) => mask.fill(1, row * region.width + from, row * region.width + to));
  return mask;
}

/** The pixels polygonMask sets to 1, as indices into `region` in row order. */
export function polygonPixels(polygon: readonly Point[], region: Region): Int32Array {
  const spans: number[] = [];
  insideSpans(polygon, region, (row, from, to) => spans.push(row * region.width + from, row * region.width + to));
  let n = 0;
  for (let i = 0; i < spans.length; i += 2) n += spans[i + 1]! - spans[i]!;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; i < spans.length; i += 2) for (let p = spans[i]!; p < spans[i + 1]!; p++) out[k++] = p;
  return out;
}

/**
 * Three box-blur passes per axis, in place: close to a Gaussian of σ ≈ radius / 2, so a hard edge
 * becomes a ramp about 2 × radius wide (from ≈ 0.98 to ≈ 0.02), centred on the old edge.
 */
export function feather(mask: Float32Array, width: number, height: number, radius: number): void {
  const r = Math.max(1, Math.round(radius / 2));
  const win = 2 * r + 1;
  const tmp = new Float32Array(width);
  // Vertical passes run over all columns at once (row-major, cache-friendly); per column the sums
  // are added in the same order as a column-by-column pass, so the result is the same.
  const out = new Float32Array(width * height);
  const sums = new Float64Array(width);
  const horizontal = (offset: number): void => {
    let sum = 0;
    for (let i = -r; i <= r; i++) sum += mask[offset + Math.min(Math.max(i, 0), width - 1)]!;
    for (let i = 0; i < width; i++) {
      tmp[i] = sum / win;
      const add = Math.min(i + r + 1, width - 1); const drop = Math.max(i - r, 0);
      sum += mask[offset + add]! - mask[offset + drop]!;
    }
    mask.set(tmp, offset);
  };
  const vertical = (): void => {
    sums.fill(0);
    for (let i = -r; i <= r; i++) {
      const row = Math.min(Math.max(i, 0), height - 1) * width;
      for (let x = 0; x < width; x++) sums[x]! += mask[row + x]!;
    }
    for (let i = 0; i < height; i++) {
      const at = i * width;
      const add = Math.min(i + r + 1, height - 1) * width; const drop = Math.max(i - r, 0) * width;
      for (let x = 0; x < width; x++) {
        const sum = sums[x]!;
        out[at + x] = sum / win;
        sums[x] = sum + (mask[add + x]! - mask[drop + x]!);
      }
    }
    mask.set(out);
  };
  for (let k = 0; k < 3; k++) {
    for (let y = 0; y < height; y++) horizontal(y * width);
    vertical();
  }
}

/** Straight-alpha RGBA `art` of exactly `dst`'s size drawn over RGB `dst` (only inside `region` if given). */
export function drawAligned(dst: Raster, art: Raster, region?: Region): void {
  const d = dst.data; const a = art.data;
  const { x: rx, y: ry, width: rw, height: rh } = region ?? { x: 0, y: 0, width: dst.width, height: dst.height };
  for (let y = ry; y < ry + rh; y++) {
    for (let p = y * dst.width + rx, end = p + rw; p < end; p++) {
      const alpha = a[p * 4 + 3]!;
      if (alpha === 0) continue;
      const i = p * 3; const j = p * 4;
      if (alpha === 255) {
        d[i] = a[j]!; d[i + 1] = a[j + 1]!; d[i + 2] = a[j + 2]!;
      } else {
        const t = alpha / 255;
        d[i] = Math.round(d[i]! + (a[j]! - d[i]!) * t);
        d[i + 1] = Math.round(d[i + 1]! + (a[j + 1]! - d[i + 1]!) * t);
        d[i + 2] = Math.round(d[i + 2]! + (a[j + 2]! - d[i + 2]!) * t);
      }
    }
  }
}
