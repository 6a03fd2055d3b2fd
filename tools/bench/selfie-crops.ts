import sharp from 'sharp';

/** A face as the accuracy maths sees it (test/landmark-accuracy.ts has the same shape). */
export interface FaceLike {
  readonly box: { x: number; y: number; width: number; height: number };
  readonly landmarks: readonly (readonly [number, number])[];
}

/**
 * Selfie-like portrait crops (1080 × 1440) of the sample photos' faces, with the reference face
 * carried through the crop geometrically: the same affine map that samples the crop moves the
 * reference landmarks, so the reference stays valid where SSD on the crop itself would miss.
 * Used by test/accuracy.test.ts and the benchmark's selfie level.
 */
export const CROP_WIDTH = 1080;
export const CROP_HEIGHT = 1440;

export interface CropSpec {
  /** Kind, for the per-kind report: plain-40, plain-60, plain-80, roll+15, roll-15, roll+35, roll-35, mirror, blur, looking-down. */
  readonly kind: string;
  /** Face box width as a fraction of the crop's width. */
  readonly fraction: number;
  /** The crop samples the photo turned by this many degrees about the face centre (the face appears turned by −degrees). */
  readonly degrees: number;
  readonly mirror: boolean;
  /** Gaussian blur sigma in crop pixels (0: none). */
  readonly blur: number;
  /** Face centre's height in the crop, as a fraction of the crop's height. */
  readonly centreY: number;
}

export const SELFIE_KINDS: readonly CropSpec[] = [
  { kind: 'plain-40', fraction: 0.4, degrees: 0, mirror: false, blur: 0, centreY: 0.45 },
  { kind: 'plain-60', fraction: 0.6, degrees: 0, mirror: false, blur: 0, centreY: 0.45 },
  { kind: 'plain-80', fraction: 0.8, degrees: 0, mirror: false, blur: 0, centreY: 0.45 },
  { kind: 'roll+15', fraction: 0.8, degrees: 15, mirror: false, blur: 0, centreY: 0.45 },
  { kind: 'roll-15', fraction: 0.8, degrees: -15, mirror: false, blur: 0, centreY: 0.45 },
  { kind: 'mirror', fraction: 0.8, degrees: 0, mirror: true, blur: 0, centreY: 0.45 },
  { kind: 'roll+35', fraction: 0.6, degrees: 35, mirror: false, blur: 0, centreY: 0.45 },
  { kind: 'roll-35', fraction: 0.6, degrees: -35, mirror: false, blur: 0, centreY: 0.45 },
  { kind: 'blur', fraction: 0.6, degrees: 0, mirror: false, blur: 8, centreY: 0.45 },
];

export const LOOKING_DOWN: CropSpec = { kind: 'looking-down', fraction: 0.4, degrees: 0, mirror: false, blur: 0, centreY: 0.4 };

export interface RawImage { readonly data: Uint8Array; readonly width: number; readonly height: number }

export interface SelfieCrop {
  readonly spec: CropSpec;
  readonly jpeg: Buffer;
  /** The reference face carried into the crop's pixels. */
  readonly reference: FaceLike;
}

type P = readonly [number, number];

/** The iBUG 68 layout's left–right partner of each point (a point on the midline is its own). */
export const MIRROR_68: readonly number[] = [
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, // jaw
  26, 25, 24, 23, 22, 21, 20, 19, 18, 17, // brows
  27, 28, 29, 30, 35, 34, 33, 32, 31, // nose
  45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40, // eyes
  54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, // outer lip
  64, 63, 62, 61, 60, 67, 66, 65, // inner lip
];

/** Crop point → photo point, and back. */
function mapping(face: FaceLike, spec: CropSpec): { toPhoto(q: P): P; toCrop(p: P): P } {
  const cx = face.box.x + face.box.width / 2;
  const cy = face.box.y + face.box.height / 2;
  const scale = (CROP_WIDTH * spec.fraction) / face.box.width; // crop px per photo px
  const a = (spec.degrees * Math.PI) / 180;
  const [c, s] = [Math.cos(a), Math.sin(a)];
  const m = spec.mirror ? -1 : 1;
  const ox = CROP_WIDTH / 2;
  const oy = CROP_HEIGHT * spec.centreY;
  return {
    toPhoto: ([qx, qy]) => {
      const dx = (m * (qx - ox)) / scale;
      const dy = (qy - oy) / scale;
      return [cx + c * dx - s * dy, cy + s * dx + c * dy];
    },
    toCrop: ([px, py]) => {
      const dx = px - cx;
      const dy = py - cy;
      return [ox + m * scale * (c * dx + s * dy), oy + scale * (-s * dx + c * dy)];
    },
  };
}

/** Bilinear sampling of the photo (black outside it). */
function sample(photo: RawImage, toPhoto: (q: P) => P): Buffer {
  const out = Buffer.alloc(CROP_WIDTH * CROP_HEIGHT * 3);
  const { data, width, height } = photo;
  for (let y = 0; y < CROP_HEIGHT; y++) {
    for (let x = 0; x < CROP_WIDTH; x++) {
      const [px, py] = toPhoto([x + 0.5, y + 0.5]);
      const fx = px - 0.5;
      const fy = py - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height) continue;
      const tx = fx - x0;
      const ty = fy - y0;
      const i00 = (y0 * width + x0) * 3;
      const i10 = i00 + 3;
      const i01 = i00 + width * 3;
      const i11 = i01 + 3;
      const o = (y * CROP_WIDTH + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = data[i00 + k]! * (1 - tx) + data[i10 + k]! * tx;
        const bottom = data[i01 + k]! * (1 - tx) + data[i11 + k]! * tx;
        out[o + k] = Math.round(top * (1 - ty) + bottom * ty);
      }
    }
  }
  return out;
}

export async function makeCrop(photo: RawImage, face: FaceLike, spec: CropSpec): Promise<SelfieCrop> {
  const map = mapping(face, spec);
  const raw = sample(photo, map.toPhoto);
  let image = sharp(raw, { raw: { width: CROP_WIDTH, height: CROP_HEIGHT, channels: 3 } });
  if (spec.blur > 0) image = image.blur(spec.blur);
  const jpeg = await image.jpeg({ quality: 90 }).toBuffer();
  raw.fill(0);
  // In a mirrored crop the landmark net numbers points by image side: the reference's points swap with their mirror partners.
  const carried = face.landmarks.map((p) => map.toCrop(p));
  const landmarks = spec.mirror ? MIRROR_68.map((i) => carried[i]!) : carried;
  const xs = landmarks.map((p) => p[0]);
  const ys = landmarks.map((p) => p[1]);
  const box = { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
  return { spec, jpeg, reference: { box, landmarks } };
}

export async function decodeRaw(bytes: Uint8Array): Promise<RawImage> {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}
