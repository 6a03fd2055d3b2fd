/**
 * The boxes of an ISO-BMFF file (AVIF) that hold item properties: meta → iprp → ipco, six levels
 * deep at most. `visit` gets each box's type, where its body starts and where the box ends. A box
 * that overruns its parent ends the walk there (the caller reports what it did not find).
 */
export function walkPropertyBoxes(bytes: Uint8Array, visit: (type: string, body: number, end: number) => void): void {
  const u32 = (at: number): number => ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
  const walk = (start: number, end: number, depth: number): void => {
    for (let at = start; at + 8 <= end && depth < 6;) {
      let size = u32(at);
      const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
      let body = at + 8;
      if (size === 1) {
        if (at + 16 > end) return;
        size = u32(at + 8) * 0x100000000 + u32(at + 12);
        body = at + 16;
      } else if (size === 0) {
        size = end - at;
      }
      if (size < 8 || at + size > end) return;
      if (type === 'meta') walk(body + 4, at + size, depth + 1);
      else if (type === 'iprp' || type === 'ipco') walk(body, at + size, depth + 1);
      else visit(type, body, at + size);
      at += size;
    }
  };
  walk(0, bytes.length, 0);
}
