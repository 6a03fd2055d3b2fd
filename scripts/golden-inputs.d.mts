export function goldenInput(kind: string, sample3: Uint8Array): Promise<Buffer>;
