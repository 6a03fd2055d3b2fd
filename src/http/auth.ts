import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Credentials } from '../auth/credentials.js';
import { looksLikeJwt, TokenRejected } from '../auth/jwt-verifier.js';
import type { Principal, Scope } from '../auth/principal.js';
import { errors } from '../errors.js';

/**
 * Authentication for /v1/*: an API key (`Authorization: Bearer <key>` or `X-API-Key: <key>`) or
 * an app JWT (`Authorization: Bearer <jwt>`). Missing or wrong credentials: 401 with
 * WWW-Authenticate; right credentials without the route's scope: 403. Runs before the upload,
 * so nobody unauthenticated ever gets a photo buffered.
 */
const principals = new WeakMap<Request, Principal>();

export function principalOf(req: Request): Principal | undefined {
  return principals.get(req);
}

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
  return (req: Request, _res: Response, next: NextFunction) => {
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
        principals.set(req, principal);
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
    principals.set(req, principal);
    next();
  };
}

/** Which scope each /v1 path needs; paths not listed need none (they end in 404). */
export const ROUTE_SCOPES: readonly { readonly prefix: string; readonly scope: Scope }[] = [
  { prefix: '/v1/landmarks', scope: 'landmarks' },
  { prefix: '/v1/effects', scope: 'effects' },
];

export function scopeFor(path: string): Scope | undefined {
  return ROUTE_SCOPES.find((r) => path === r.prefix || path.startsWith(`${r.prefix}/`))?.scope;
}

/** 403 unless the caller's principal holds the scope its route needs. After `authenticate`. */
export function authorize(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const scope = scopeFor(req.originalUrl.split('?')[0] ?? '');
    const principal = principalOf(req);
    next(scope === undefined || principal?.scopes.has(scope) ? undefined : errors.forbidden(scope));
  };
}
