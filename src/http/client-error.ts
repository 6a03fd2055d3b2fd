import type { Duplex } from 'node:stream';
import { AppError, errors } from '../errors.js';
import { problemOf } from './problem.js';

/**
 * Node's HTTP server answers some client mistakes itself, before express ever sees a request:
 * headers not received within headersTimeout, a request not received within requestTimeout,
 * an unparsable request, oversized headers. By default it writes a bare "HTTP/1.1 408 Request
 * Timeout" (or 400/431) with no body. This 'clientError' listener writes the same status as
 * RFC 9457 problem+json with a stable code and Cache-Control: no-store, then closes the socket.
 */
interface ClientError extends Error {
  readonly code?: string;
}

export function problemForClientError(error: ClientError): AppError | undefined {
  switch (error.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined; // the client is gone: nobody to answer
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errors.requestTimeout('The request was not received in time.');
    case 'HPE_HEADER_OVERFLOW':
      return errors.headersTooLarge();
    default:
      return errors.badRequest();
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** A whole HTTP/1.1 response carrying `error` as problem+json, for writing straight to a socket. */
export function rawProblemResponse(error: AppError): string {
  const body = JSON.stringify(problemOf(error));
  return [
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

export function onClientError(error: ClientError, socket: Duplex): void {
  const problem = problemForClientError(error);
  // A response of this connection already under way must not be interleaved with another one.
  const current = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (problem && socket.writable && !current?.headersSent) {
    socket.end(rawProblemResponse(problem));
    // end() flushes the answer; destroy() afterwards frees the socket even if the peer never reads.
    socket.once('finish', () => socket.destroy());
    setTimeout(() => socket.destroy(), 1000).unref();
    return;
  }
  socket.destroy();
}
