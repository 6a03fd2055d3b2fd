import sharp from 'sharp';
import type { WipeLedger } from '../privacy/wipe-ledger.js';
import type { Raster } from './raster.js';

/**
 * A ledgered RGB copy of `image` no larger than `maxSide` on its long edge (never enlarged; an
 * exact copy when it already fits). Decoding a large JPEG costs its full entropy decode whatever
 * the shrink-on-load factor, so a request that needs two sizes decodes once and shrinks here.
 */
export async function shrink(image: Raster, maxSide: number, ledger: WipeLedger): Promise<Raster> {
  const data = (bytes: number): Uint8Array => ledger.track(new Uint8Array(new ArrayBuffer(bytes)));
  if (Math.max(image.width, image.height) <= maxSide) {
    const copy = data(image.data.length);
    copy.set(image.data);
    return { data: copy, width: image.width, height: image.height, channels: image.channels };
  }
  const raw = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize({ width: maxSide, height: maxSide, fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  ledger.track(raw.data);
  const copy = data(raw.data.length);
  copy.set(raw.data);
  raw.data.fill(0);
  return { data: copy, width: raw.info.width, height: raw.info.height, channels: image.channels };
}
