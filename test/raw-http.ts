import { connect, type Socket } from 'node:net';
import { authHeaders } from './service.js';

/**
 * Raw HTTP/1.1 over a loopback socket, for requests fetch() will not send: a multipart body
 * without a boundary, a body cut short, headers then silence. Nothing leaves 127.0.0.1.
 */
export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Everything the server sent, as latin1 text. */
  readonly raw: string;
}

export function parseRawResponse(raw: string): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (!raw.startsWith('HTTP/1.1 ') || headEnd < 0) return { status: 0, headers: {}, body: '', raw };
  const [statusLine = '', ...lines] = raw.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body, raw };
}

function dechunk(text: string): string {
  let out = '';
  for (let at = 0; at < text.length;) {
    const lineEnd = text.indexOf('\r\n', at);
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!(size > 0)) break;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  return out;
}

export interface RawExchange {
  readonly socket: Socket;
  /** Resolves with everything received once the server closes the connection (or `maxMs` passes). */
  readonly response: Promise<RawResponse>;
  /** Resolves as soon as a complete response head has arrived (the connection may stay open). */
  readonly head: Promise<RawResponse>;
}

/** Opens a connection, writes `parts` in order (the socket stays open unless `end` is set). */
export function rawExchange(port: number, parts: readonly (string | Uint8Array)[], options: { end?: boolean; maxMs?: number } = {}): RawExchange {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let resolveHead: (r: RawResponse) => void = () => undefined;
  const head = new Promise<RawResponse>((resolve) => { resolveHead = resolve; });
  const response = new Promise<RawResponse>((resolve) => {
    const timer = setTimeout(() => socket.destroy(), options.maxMs ?? 30_000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      if (text.includes('\r\n\r\n')) resolveHead(parseRawResponse(text));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const parsed = parseRawResponse(Buffer.concat(chunks).toString('latin1'));
      resolveHead(parsed);
      resolve(parsed);
    });
  });
  socket.on('connect', () => {
    for (const part of parts) socket.write(part);
    if (options.end) socket.end();
  });
  return { socket, response, head };
}

/** A multipart/form-data body built by hand, so tests control every byte of it. */
export function multipartBody(
  boundary: string,
  parts: readonly { name: string; filename?: string; contentType?: string; data: string | Uint8Array }[],
  close = true,
): Buffer {
  const out: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const type = part.contentType ? `Content-Type: ${part.contentType}\r\n` : '';
    out.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`, 'latin1'));
    out.push(typeof part.data === 'string' ? Buffer.from(part.data, 'latin1') : Buffer.from(part.data));
    out.push(Buffer.from('\r\n', 'latin1'));
  }
  if (close) out.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(out);
}

/** A request head for POST `path` with the given headers (Host and the test key added when absent). */
export function requestHead(path: string, headers: Record<string, string | number>, method = 'POST'): string {
  const all: Record<string, string | number> = { Host: '127.0.0.1', ...authHeaders(), ...headers };
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}
