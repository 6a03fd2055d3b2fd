import sharp, { type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { errors } from '../errors.js';
import type { WipeLedger } from '../privacy/wipe-ledger.js';
import { ProfileError, readDecodeProfile, type DecodeProfile } from './decode-profile.js';
import { HeaderError, readHeader, uprightSize, type ImageHeader } from './header.js';
import { sniffFormat, type ImageFormat } from './sniff.js';
import { stripMetadata } from './strip-metadata.js';

export interface DecodeLimits {
  readonly maxInputPixels: number;
}

/** What the header says, checked against the limits; nothing has been decoded yet. */
export interface InspectedImage {
  readonly format: ImageFormat;
  /** Size as the person sees it (after EXIF orientation). */
  readonly width: number;
  readonly height: number;
  /** What decoding will cost (decode-cost.ts turns it into bytes for admission). */
  readonly profile: DecodeProfile;
}

/** RGB pixels, upright, at most `maxSide` on the long edge; registered with the ledger. */
export interface DecodedImage {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
}

/**
 * Format from magic bytes and the header's fields; nothing is decoded. Bad input becomes a 4xx;
 * an animation (APNG, animated WebP) is refused here: one frame of it would not be the photo the
 * person sees, and its canvas costs memory per frame.
 */
function readInput(input: Uint8Array): { format: ImageFormat; header: ImageHeader; profile: DecodeProfile } {
  const sniffed = sniffFormat(input);
  if (!sniffed.ok) {
    throw errors.unsupportedMediaType(
      `The file looks like ${sniffed.detected === 'unknown' ? 'no supported image' : sniffed.detected}; accepted formats are JPEG, PNG, WebP and AVIF.`);
  }
  let read;
  try {
    read = { format: sniffed.format, header: readHeader(input, sniffed.format), profile: readDecodeProfile(input, sniffed.format) };
  } catch (error) {
    if (error instanceof HeaderError || error instanceof ProfileError) {
      throw errors.imageDecodeFailed(`The ${sniffed.format.toUpperCase()} header is damaged (${error.message}).`);
    }
    throw error;
  }
  if (read.profile.animated) {
    throw errors.unsupportedMediaType(
      `Animated images are not accepted (this ${read.format === 'png' ? 'PNG is an APNG' : 'WebP is animated'}); send a still JPEG, PNG, WebP or AVIF photo.`);
  }
  return read;
}

/** Format from magic bytes, size from the header, both checked before any decoding. */
export function inspect(input: Uint8Array, limits: DecodeLimits): InspectedImage {
  const { format, header, profile } = readInput(input);
  const pixels = header.width * header.height;
  if (pixels > limits.maxInputPixels) throw errors.imageTooLarge(pixels, limits.maxInputPixels);
  return { format, ...uprightSize(header), profile };
}

/**
 * Options shared by every decode of untrusted input. `failOn: 'error'` makes a truncated JPEG
 * an error rather than a grey picture; `limitInputPixels` is libvips' own check of the header,
 * a second line behind inspect(); `pages: 1` never decodes an animation.
 */
export function untrustedInput(limits: DecodeLimits): SharpOptions {
  return { failOn: 'error', limitInputPixels: limits.maxInputPixels, sequentialRead: true, pages: 1 };
}

/** Maps a sharp/libvips failure on user input to a 4xx. */
export function decodeError(error: unknown, limits: DecodeLimits): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return errors.imageTooLarge(undefined, limits.maxInputPixels);
  return errors.imageDecodeFailed();
}

/**
 * The EXIF orientation read by header.ts, applied explicitly (sharp mirrors before it rotates),
 * instead of letting libvips find its own: the decoded pixels then always agree with the upright
 * size inspect() reported, which is what coordinates are mapped back to.
 */
function orient(image: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2: return image.flop();
    case 3: return image.rotate(180);
    case 4: return image.flip();
    case 5: return image.flip().rotate(90);
    case 6: return image.rotate(90);
    case 7: return image.flop().rotate(90);
    case 8: return image.rotate(270);
    default: return image;
  }
}

/**
 * Safety net: the decoded copy must have the shape the header promised (scaled to `maxSide`).
 * If the decoder and header.ts ever disagree (a container feature header.ts does not know),
 * the request fails instead of answering with coordinates mapped onto the wrong size.
 */
export function checkDecodedSize(
  upright: { width: number; height: number }, decoded: { width: number; height: number }, maxSide: number,
): void {
  const scale = Math.min(1, maxSide / Math.max(upright.width, upright.height));
  const near = (actual: number, expected: number): boolean => Math.abs(actual - expected) <= Math.max(2, expected * 0.01);
  if (!near(decoded.width, upright.width * scale) || !near(decoded.height, upright.height * scale)) {
    throw errors.imageDecodeFailed('The image data does not have the size its header declares.');
  }
}

/**
 * Decodes to upright RGB no larger than `maxSide`, using shrink-on-load (JPEG decodes at 1/2,
 * 1/4 or 1/8 scale directly, so a 48 MP photo never exists at full size in memory).
 * sharp's output buffer is copied into an owned ArrayBuffer (transferable to a worker) and
 * zeroed straight away.
 */
export async function decodeToMaxSide(
  input: Uint8Array, maxSide: number, limits: DecodeLimits, ledger: WipeLedger,
): Promise<DecodedImage> {
  const { format, header } = readInput(input);
  // Text and metadata chunks never reach libvips; a stripped copy holds the image: the ledger wipes it.
  const stripped = stripMetadata(input, format);
  if (stripped.copied) ledger.track(stripped.bytes);
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await orient(sharp(stripped.bytes, untrustedInput(limits)), header.orientation)
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw decodeError(error, limits);
  }
  ledger.track(raw.data);
  if (raw.info.channels !== 3) {
    throw errors.imageDecodeFailed(`Expected 3 colour channels after conversion but received ${raw.info.channels}.`);
  }
  checkDecodedSize(uprightSize(header), raw.info, maxSide);
  const pixels = ledger.track(new Uint8Array(new ArrayBuffer(raw.data.length)));
  pixels.set(raw.data);
  raw.data.fill(0);
  return { pixels, width: raw.info.width, height: raw.info.height, channels: 3 };
}
