/**
 * The image type comes from the file's first bytes, never from the client's Content-Type or
 * filename. Only JPEG, PNG, WebP and AVIF are accepted (docs/api.md, "Sending a photo"): GIF is
 * refused because it is animated and palette-limited, HEIC because the HEVC decoder is not in
 * sharp's prebuilt libvips, TIFF because it is a multi-page container that phones do not send,
 * SVG/PDF/HTML because they are documents (and untrusted loaders), not photos.
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif';

export type SniffResult =
  | { readonly ok: true; readonly format: ImageFormat }
  | { readonly ok: false; readonly detected: string };

function ascii(bytes: Uint8Array, start: number, length: number): string {
  if (start + length > bytes.length) return '';
  let out = '';
  for (let i = start; i < start + length; i++) out += String.fromCharCode(bytes[i] ?? 0);
  return out;
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/** ISO-BMFF 'ftyp': AVIF if the major or a compatible brand says so, HEIC if only HEIF brands do. */
function sniffFtyp(bytes: Uint8Array): SniffResult | undefined {
  if (ascii(bytes, 4, 4) !== 'ftyp') return undefined;
  const size = ((bytes[0] ?? 0) << 24 | (bytes[1] ?? 0) << 16 | (bytes[2] ?? 0) << 8 | (bytes[3] ?? 0)) >>> 0;
  const end = Math.min(size, bytes.length, 256);
  const brands = [ascii(bytes, 8, 4)];
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(ascii(bytes, offset, 4));
  if (brands.includes('avif') || brands.includes('avis')) return { ok: true, format: 'avif' };
  if (brands.some((b) => HEIF_BRANDS.has(b))) return { ok: false, detected: 'heic' };
  return { ok: false, detected: 'iso-bmff' };
}

export function sniffFormat(bytes: Uint8Array): SniffResult {
  const b = (i: number): number => bytes[i] ?? -1;
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return { ok: true, format: 'jpeg' };
  if (b(0) === 0x89 && ascii(bytes, 1, 7) === 'PNG\r\n\x1a\n') return { ok: true, format: 'png' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return { ok: true, format: 'webp' };
  const ftyp = sniffFtyp(bytes);
  if (ftyp) return ftyp;
  const head = ascii(bytes, 0, 6);
  if (head === 'GIF87a' || head === 'GIF89a') return { ok: false, detected: 'gif' };
  if (head.startsWith('II*\0') || head.startsWith('MM\0*')) return { ok: false, detected: 'tiff' };
  if (head.startsWith('%PDF')) return { ok: false, detected: 'pdf' };
  if (head.startsWith('BM')) return { ok: false, detected: 'bmp' };
  return { ok: false, detected: 'unknown' };
}
