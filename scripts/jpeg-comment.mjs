// A JPEG with a COM (comment) segment carrying `text` (latin1) right after SOI: how the tests and
// scripts/measure-malloc-perturb.mjs plant a marker in an upload's bytes. Plain JS so that both
// the TypeScript tests and the scripts import it without a build.
import { Buffer } from 'node:buffer';

export function withJpegComment(jpeg, text) {
  const payload = Buffer.from(text, 'latin1');
  const segment = Buffer.alloc(4 + payload.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(payload.length + 2, 2);
  payload.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}
