import sharp, { type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { errors } from '../errors.js';
import type { WipeLedger } from '../privacy/wipe-ledger.js';
import { HeaderError, readHeader, uprightSize, type DecodeProfile, type ImageHeader } from './header.js';
import type { Raster } from './raster.js';
import { sniffFormat, type ImageFormat } from './sniff.js';
import { stripMetadata } from './strip-metadata.js';

export interface DecodeLimits {
  readonly maxInputPixels: number;
}

/**
 * What the header says, checked against the limits; nothing has been decoded yet. Read once per
 * request and handed to every decode of that request.
 */
export interface InspectedImage {
  readonly format: ImageFormat;
  /** Size as the person sees it (after EXIF orientation). */
  readonly width: number;
  readonly height: number;
  readonly header: ImageHeader;
  /** What decoding will cost (decode-cost.ts turns it into bytes for admission). */
  readonly profile: DecodeProfile;
}

/**
 * What to send instead, per refused kind. `detected` is the sniffer's own label (never anything
 * the client sent), so it may be named in the message.
 */
const INSTEAD: Readonly<Record<string, string>> = {
  heic: 'HEIC cannot be decoded here: send JPEG (on iPhone: Settings → Camera → Formats → Most Compatible) or convert the photo to JPEG first.',
  gif: 'GIF is not accepted (animated, 256 colours): send the photo as JPEG or PNG.',
  tiff: 'TIFF is not accepted: export the photo as JPEG or PNG.',
  bmp: 'BMP is not accepted: convert the photo to PNG or JPEG.',
  pdf: 'a PDF is a document, not a photo: export the page as PNG or JPEG.',
};

export function refusalDetail(detected: string): string {
  const what = detected === 'unknown' ? 'no supported image' : detected;
  const instead = INSTEAD[detected] ?? 'send a photo as JPEG, PNG, WebP or AVIF.';
  return `The file looks like ${what}; accepted formats are JPEG, PNG, WebP and AVIF. ${instead.charAt(0).toUpperCase()}${instead.slice(1)}`;
}

/**
 * Format from magic bytes and the header's fields; nothing is decoded. Bad input becomes a 4xx;
 * an animation (APNG, animated WebP) is refused here: one frame of it would not be the photo the
 * person sees, and its canvas costs memory per frame.
 */
function readInput(input: Uint8Array): { format: ImageFormat; header: ImageHeader; profile: DecodeProfile } {
  const sniffed = sniffFormat(input);
  if (!sniffed.ok) {
    throw errors.unsupportedMediaType(refusalDetail(sniffed.detected));
  }
  let read;
  try {
    read = { format: sniffed.format, ...readHeader(input, sniffed.format) };
  } catch (error) {
    if (error instanceof HeaderError) {
      throw errors.imageDecodeFailed(`The ${sniffed.format.toUpperCase()} header is damaged (${error.message}): send the whole file again, or another copy of the photo.`);
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
  return { format, ...uprightSize(header), header, profile };
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
 * zeroed straight away; both are registered with the ledger.
 */
export async function decode(
  source: DecodeSource, maxSide: number, limits: DecodeLimits, ledger: WipeLedger,
): Promise<Raster> {
  const { bytes, inspected } = source;
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await orient(sharp(bytes, untrustedInput(limits)), inspected.header.orientation)
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
  checkDecodedSize(inspected, raw.info, maxSide);
  const data = ledger.track(new Uint8Array(new ArrayBuffer(raw.data.length)));
  data.set(raw.data);
  raw.data.fill(0);
  return { data, width: raw.info.width, height: raw.info.height, channels: 3 };
}

/** What decode() reads: the upload without its text and metadata chunks, and its header. */
export interface DecodeSource {
  readonly bytes: Uint8Array;
  readonly inspected: InspectedImage;
}

/**
 * The upload as libvips may see it: text and metadata chunks stripped (once per request, however
 * many copies are decoded). A stripped copy holds the image, so the ledger wipes it.
 */
export function decodeSource(input: Uint8Array, inspected: InspectedImage, ledger: WipeLedger): DecodeSource {
  const stripped = stripMetadata(input, inspected.format);
  if (stripped.copied) ledger.track(stripped.bytes);
  return { bytes: stripped.bytes, inspected };
}

/** inspect(), decodeSource() and decode() in one, for callers that decode an input once (warm-up, tools). */
export async function decodeToMaxSide(input: Uint8Array, maxSide: number, limits: DecodeLimits, ledger: WipeLedger): Promise<Raster> {
  return decode(decodeSource(input, inspect(input, limits), ledger), maxSide, limits, ledger);
}
