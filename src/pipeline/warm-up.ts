import sharp from 'sharp';
import { WipeLedger } from '../privacy/wipe-ledger.js';
import { decodeToMaxSide, type DecodeLimits } from '../imaging/decode.js';
import type { FaceDetector } from './steps/detect.js';

/**
 * Before /readyz turns 200: one synthetic photo (a generated texture, no person's data) goes
 * through decode and through every worker at once, at the real working size. The first real
 * request then finds libvips' JPEG loader initialised on the main thread and every worker's
 * wasm heap already grown to the working size, instead of paying for both itself.
 */
export async function warmPipeline(
  detector: FaceDetector, options: { workers: number; detectMaxSide: number; limits: DecodeLimits },
): Promise<void> {
  const width = 1600;
  const height = 1200;
  const texture = Buffer.alloc(width * height * 3);
  for (let i = 0; i < texture.length; i++) texture[i] = (i * 2654435761) >>> 24;
  const jpeg = await sharp(texture, { raw: { width, height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
  await Promise.all(Array.from({ length: options.workers }, async () => {
    const ledger = new WipeLedger();
    try {
      const decoded = await decodeToMaxSide(jpeg, options.detectMaxSide, options.limits, ledger);
      await detector.detect({ pixels: decoded.data, width: decoded.width, height: decoded.height, deadline: Date.now() + 120_000 });
    } finally {
      ledger.wipeAll();
    }
  }));
}
