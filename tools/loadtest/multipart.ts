import { randomBytes } from 'node:crypto';

/**
 * One multipart/form-data body holding a photo in the field "image", built once per image so
 * that the load generator spends no CPU per request encoding forms (it shares the machine with
 * the service when run locally).
 */
export interface PreparedBody {
  readonly name: string;
  readonly body: Buffer;
  readonly contentType: string;
}

const MEDIA_TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif',
};

export function mediaTypeOf(name: string): string | undefined {
  return MEDIA_TYPES[name.split('.').pop()?.toLowerCase() ?? ''];
}

export function multipartBody(name: string, bytes: Uint8Array, fields: Record<string, string> = {}): PreparedBody {
  const boundary = `----mayfly-load-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [field, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="photo"\r\n` +
    `Content-Type: ${mediaTypeOf(name) ?? 'application/octet-stream'}\r\n\r\n`));
  parts.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { name, body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
