import type { NextFunction, Request, Response } from 'express';
import { errors } from '../errors.js';

/** For `.all()` after a route's methods: a known path with another method is a 405 with Allow. */
export function methodNotAllowed(allowed: readonly string[]) {
  return (_req: Request, _res: Response, next: NextFunction): void => next(errors.methodNotAllowed(allowed));
}
