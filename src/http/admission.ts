import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { errors } from '../errors.js';
import { onResponseEnd } from './response-end.js';

/**
 * Bounded in-flight count past the upload stage: beyond `maxInFlight` the request is refused at
 * once with 503 overloaded + Retry-After (its upload is wiped like any other), so excess load is
 * shed instead of queueing without bound.
 */
export interface Admission {
  /**
   * Before the upload: while the service is already full, a request is refused without reading
   * its body, so shedding costs neither the upload's memory nor parsing it. The body is left
   * unread, so the connection is closed after the answer.
   */
  readonly gate: RequestHandler;
  readonly middleware: RequestHandler;
  inFlight(): number;
}

export function createAdmission(maxInFlight: number): Admission {
  let inFlight = 0;
  const middleware = (_req: Request, res: Response, next: NextFunction): void => {
    if (inFlight >= maxInFlight) {
      next(errors.overloaded(1));
      return;
    }
    inFlight++;
    onResponseEnd(res, () => { inFlight--; });
    next();
  };
  const gate = (_req: Request, res: Response, next: NextFunction): void => {
    if (inFlight >= maxInFlight) {
      res.set('Connection', 'close');
      next(errors.overloaded(1));
      return;
    }
    next();
  };
  return { gate, middleware, inFlight: () => inFlight };
}
