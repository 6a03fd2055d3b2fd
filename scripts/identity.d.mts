export interface IdentityFace {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly landmarks: [number, number][];
  readonly descriptor: number[];
  readonly width: number;
  readonly height: number;
}
export function loadIdentity(): Promise<unknown>;
export function facesIn(bytes: Uint8Array, maxSide?: number): Promise<IdentityFace[]>;
export function descriptorDistance(a: readonly number[], b: readonly number[]): number;
export function faceNearest(faces: readonly IdentityFace[], point: readonly [number, number]): IdentityFace | null;
