export function pngChunk(type: string, data: Uint8Array): Buffer;
export function pngWithChunks(png: Buffer, chunks: Buffer[]): Buffer;
export function zTxtChunk(keyword: string, textBytes: number): Buffer;
export function zTxtPng(count?: number, textBytes?: number, photo?: Buffer): Promise<Buffer>;
export function interlacedPng16(side?: number): Promise<Buffer>;
export function progressiveJpeg444(width?: number, height?: number): Promise<Buffer>;
export function animatedWebp(side?: number, frames?: number): Promise<Buffer>;
export function apng(side?: number): Promise<Buffer>;
