export interface IdentityFace {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly landmarks: [number, number][];
  /** face-api's descriptor (withFaceDescriptors: an axis-aligned crop). */
  readonly descriptor: number[];
  /** The same crop made upright (eye line level) before the net: see scripts/identity.mjs. */
  readonly alignedDescriptor?: number[];
  /** Degrees the eye line was turned from level in the image. */
  readonly roll?: number;
  readonly width: number;
  readonly height: number;
}
export interface UprightChip { readonly data: Int32Array; readonly width: number; readonly height: number; readonly angle: number }
export function loadIdentity(): Promise<unknown>;
export function uprightChip(
  data: Uint8Array, width: number, height: number, landmarks: readonly (readonly [number, number])[],
  detectionBox: { readonly width: number; readonly height: number }, options?: { level?: boolean },
): UprightChip | null;
export function facesIn(bytes: Uint8Array, maxSide?: number, options?: { aligned?: boolean; level?: boolean }): Promise<IdentityFace[]>;
export function descriptorDistance(a: readonly number[], b: readonly number[]): number;
export function faceNearest(faces: readonly IdentityFace[], point: readonly [number, number]): IdentityFace | null;
