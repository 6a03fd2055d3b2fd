import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Limits } from '../auth/principal.js';
import { errors } from '../errors.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import { contextOf } from '../request/context.js';

/**
 * Rate limit and daily quota per caller, after `authenticate`: every /v1 request costs one
 * point. Answers carry RateLimit-* headers; refusals are 429 with Retry-After.
 */
export function rateLimit(limiter: RateLimiter, defaults: Limits): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const { principal } = contextOf(res);
    if (!principal) {
      next(errors.missingCredentials());
      return;
    }
    const limits: Limits = { ...defaults, ...principal.limits };
    limiter.check(principal.id, limits).then((decision) => {
      if (decision.allowed) {
        res.set(decision.headers);
        next();
      } else if (decision.reason === 'quota') {
        next(errors.quotaExceeded(decision.retryAfterS, decision.headers));
      } else {
        next(errors.rateLimited(decision.retryAfterS, decision.headers));
      }
    }, next);
  };
}
