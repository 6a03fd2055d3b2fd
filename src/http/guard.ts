import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Credentials } from '../auth/credentials.js';
import type { Limits, Scope } from '../auth/principal.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { Capacity } from '../request/capacity.js';
import { responseEnded } from '../request/context.js';
import { authenticate, requireScope } from './auth.js';
import { rateLimit } from './rate-limit.js';

export interface GuardDeps {
  readonly capacity: Capacity;
  readonly credentials: Credentials;
  readonly limiter: RateLimiter;
  readonly limits: Limits;
}

/** What guards a route that needs a key, once a route and method have matched. */
export type Guard = (scope: Scope) => RequestHandler[];

/**
 * Attached to each protected route (so unknown paths and methods answer 404/405 before any
 * credential is looked at): not shutting down → authenticated → holds the route's scope → within
 * its rate limit and quota. Runs before the upload, so nobody unauthenticated gets a photo buffered.
 */
export function createGuard(deps: GuardDeps): Guard {
  const enter = (_req: Request, res: Response, next: NextFunction): void => {
    let release: () => void;
    try {
      release = deps.capacity.enter();
    } catch (error) {
      next(error);
      return;
    }
    void responseEnded(res).then(release);
    next();
  };
  const authenticated = authenticate(deps.credentials);
  const limited = rateLimit(deps.limiter, deps.limits);
  return (scope) => [enter, authenticated, requireScope(scope), limited];
}
