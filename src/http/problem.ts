import type { ErrorRequestHandler, Response } from 'express';
import { AppError, errors, isAppError } from '../errors.js';

/** RFC 9457 problem details; `code` is the stable, machine-readable part. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
}

export function problemOf(error: AppError): ProblemBody {
  return { type: `/problems/${error.code}`, title: error.title, status: error.status, detail: error.detail, code: error.code };
}

export function sendProblem(res: Response, error: AppError): void {
  // Read by the request log and the rejections metric.
  if (res.locals.mayfly) res.locals.mayfly.errorCode = error.code;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(error.status).set(error.headers).type('application/problem+json').send(JSON.stringify(problemOf(error)));
}

/** Errors express itself raises for client mistakes (body parsers, bad URLs) carry a 4xx status. */
function clientErrorFromExpress(error: unknown): AppError | undefined {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('bad_request', status, 'Bad request', 'The request could not be understood.');
  }
  return undefined;
}

export function problemHandler(onUnexpected: (error: unknown) => void): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (isAppError(error)) {
      sendProblem(res, error);
      return;
    }
    const clientError = clientErrorFromExpress(error);
    if (clientError) {
      sendProblem(res, clientError);
      return;
    }
    onUnexpected(error);
    sendProblem(res, errors.internal());
  };
}
