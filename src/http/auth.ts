import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Credentials } from '../auth/credentials.js';
import { looksLikeJwt, TokenRejected } from '../auth/jwt-verifier.js';
import type { Scope } from '../auth/principal.js';
import { errors } from '../errors.js';
import { contextOf } from '../request/context.js';

/**
 * Authentication for /v1/*: an API key (`Authorization: Bearer <key>` or `X-API-Key: <key>`) or
 * an app JWT (`Authorization: Bearer <jwt>`). Missing or wrong credentials: 401 with
 * WWW-Authenticate; right credentials without the route's scope: 403. Runs before the upload,
 * so nobody unauthenticated ever gets a photo buffered.
 */
function presented(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header !== undefined) {
    const match = /^Bearer[ ]+(\S{1,4096})\s*$/i.exec(header);
    return match ? match[1] : '';
  }
  const apiKey = req.get('x-api-key');
  return apiKey === undefined ? undefined : apiKey.trim();
}

export function authenticate(credentials: Credentials): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const secret = presented(req);
    if (secret === undefined) {
      next(errors.missingCredentials());
      return;
    }
    if (secret === '') {
      next(errors.invalidCredentials('Expected "Authorization: Bearer <credential>".'));
      return;
    }
    if (credentials.jwt && looksLikeJwt(secret)) {
      credentials.jwt.verify(secret).then((principal) => {
        contextOf(res).principal = principal;
        next();
      }, (error: unknown) => {
        next(error instanceof TokenRejected ? errors.invalidCredentials(error.message) : error);
      });
      return;
    }
    const principal = credentials.keys.find(secret);
    if (!principal) {
      next(errors.invalidCredentials());
      return;
    }
    contextOf(res).principal = principal;
    next();
  };
}

/**
 * 403 unless the caller holds `scope`. Attached to the route that serves the request (never
 * matched against the URL string: express routes case-insensitively and accepts absolute-form
 * targets, so a string match could be sidestepped). After `authenticate`.
 */
export function requireScope(scope: Scope): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    next(contextOf(res).principal?.scopes.has(scope) ? undefined : errors.forbidden(scope));
  };
}
