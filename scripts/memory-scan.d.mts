export interface Region { start: bigint; end: bigint; perms: string; name: string }
export interface Hit { needle: number; address: string; region: string }
export interface ScanResult { hits: Hit[]; bytesScanned: number; unreadableRegions: number }
export function readableRegions(pid: number): Region[];
export function scanProcess(pid: number, needles: Buffer[]): ScanResult;
export function randomMarker(length: number, randomBytes: (n: number) => Uint8Array): string;
export function markerPieces(marker: string, size?: number): Buffer[];
