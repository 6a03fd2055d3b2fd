import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { errors, type AppError } from '../errors.js';
import { onResponseEnd } from './response-end.js';
import { retryAdvice } from './retry-after.js';

/**
 * Bounded in-flight count past the upload stage: beyond `maxInFlight` the request is refused at
 * once with 503 overloaded + Retry-After (its upload is wiped like any other), so excess load is
 * shed instead of queueing without bound. Retry-After follows the load (see retry-after.ts).
 */
export interface Admission {
  /**
   * Before the upload: while the service is already full, a request is refused without reading
   * its body, so shedding costs neither the upload's memory nor parsing it. The body is left
   * unread, so the connection is closed after the answer.
   */
  readonly gate: RequestHandler;
  readonly middleware: RequestHandler;
  /** The 503 for any refusal for lack of room (also the upload stage's), with its Retry-After. */
  overloaded(): AppError;
  inFlight(): number;
}

export function createAdmission(maxInFlight: number, retryAfterMaxS: number): Admission {
  let inFlight = 0;
  const advice = retryAdvice({ maxSeconds: retryAfterMaxS });
  const overloaded = (): AppError => errors.overloaded(advice.refused());
  const middleware = (_req: Request, res: Response, next: NextFunction): void => {
    if (inFlight >= maxInFlight) {
      next(overloaded());
      return;
    }
    inFlight++;
    onResponseEnd(res, () => {
      inFlight--;
      advice.released();
    });
    next();
  };
  const gate = (_req: Request, res: Response, next: NextFunction): void => {
    if (inFlight >= maxInFlight) {
      res.set('Connection', 'close');
      next(overloaded());
      return;
    }
    next();
  };
  return { gate, middleware, overloaded, inFlight: () => inFlight };
}
