import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
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

const REASONS: Record<number, string> = {
  400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 417: 'Expectation Failed', 431: 'Request Header Fields Too Large',
};

/** A whole HTTP/1.1 response carrying `error` as problem+json, for writing straight to a socket. */
export function rawProblemResponse(error: AppError): string {
  const body = JSON.stringify(problemOf(error));
  return [
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}`,
    ...Object.entries(error.headers).map(([name, value]) => `${name}: ${value}`),
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

interface InFlight {
  readonly writableFinished?: boolean;
  readonly headersSent?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/** Sockets already answered (Node's parser reports the same broken input again on more data). */
const answered = new WeakSet<Duplex>();

function answerAndClose(socket: Duplex, problem: AppError): void {
  socket.end(rawProblemResponse(problem));
  // end() flushes the answer; destroy() afterwards frees the socket even if the peer never reads.
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}

export function onClientError(error: ClientError, socket: Duplex): void {
  if (answered.has(socket)) return;
  const problem = problemForClientError(error);
  const current = (socket as { _httpMessage?: InFlight | null })._httpMessage;
  if (!problem || !socket.writable) {
    socket.destroy();
    return;
  }
  answered.add(socket);
  // A request timeout is about the request in flight itself (its body never arrived): it is
  // answered now, in its place. Only other errors wait for an answer under way.
  if (current && !current.writableFinished && error.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
    // A request of this connection is still being answered (garbage pipelined behind a valid
    // upload): its answer must not be lost or interleaved. The 400 follows once it is complete;
    // the request's own deadlines bound the wait.
    if (current.headersSent) {
      current.once('finish', () => { socket.destroy(); });
    } else {
      current.once('finish', () => { if (socket.writable) answerAndClose(socket, problem); else socket.destroy(); });
    }
    current.once('close', () => { if (!current.writableFinished) socket.destroy(); });
    return;
  }
  answerAndClose(socket, problem);
}

function sendRawProblem(res: ServerResponse, problem: AppError): void {
  const body = JSON.stringify(problemOf(problem));
  res.shouldKeepAlive = false;
  res.writeHead(problem.status, {
    ...problem.headers,
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    Connection: 'close',
  });
  res.end(body);
}

/**
 * Node answers `Expect:` values other than 100-continue with a bare 417 unless the server has a
 * 'checkExpectation' listener: this is it. The connection closes (a body may follow the headers).
 */
export function onCheckExpectation(_req: IncomingMessage, res: ServerResponse): void {
  sendRawProblem(res, errors.expectationFailed());
}

/**
 * HTTP/1.1 requires a Host header; Node's own check (requireHostHeader) answers a bare 400, so
 * the server is created with it off and this wrapper answers problem+json instead.
 */
export function requireHost(listener: RequestListener): RequestListener {
  return (req, res) => {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && req.headers.host === undefined) {
      req.resume();
      sendRawProblem(res, errors.badRequest('HTTP/1.1 requests must carry a Host header.'));
      return;
    }
    listener(req, res);
  };
}

/** CONNECT (a proxy tunnel) is not something this service does: 405, then close. Without this listener Node leaves it unanswered. */
export function onConnect(_req: IncomingMessage, socket: Duplex): void {
  if (socket.writable) answerAndClose(socket, errors.methodNotAllowed(['GET', 'HEAD', 'POST', 'OPTIONS']));
  else socket.destroy();
}
