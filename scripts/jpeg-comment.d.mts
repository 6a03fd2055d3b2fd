/** A JPEG with a COM (comment) segment carrying `text` (latin1) right after SOI. */
export function withJpegComment(jpeg: Uint8Array, text: string): Buffer;
