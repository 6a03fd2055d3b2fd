import { errors as joseErrors, importSPKI, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import type { JwtSettings } from '../config.js';
import { isScope, SCOPES, type Principal, type Scope } from './principal.js';

/**
 * Mobile-app tokens: JWTs signed by the app's backend (HS256 shared secret, or RS256/ES256 with
 * the backend's public key). The algorithm is pinned (no `alg: none`, no HS/RS confusion);
 * `exp`, `iss`, `aud` and `sub` are required and checked. Scopes come from the OAuth-style
 * `scope` claim (space-separated); a token without one may use every scope.
 */
export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}

export class TokenRejected extends Error {}

export async function createJwtVerifier(settings: JwtSettings): Promise<JwtVerifier> {
  const key: CryptoKey | Uint8Array = settings.algorithm === 'HS256'
    ? new TextEncoder().encode(settings.key)
    : await importSPKI(settings.key, settings.algorithm);
  return {
    async verify(token: string): Promise<Principal> {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: [settings.algorithm],
          issuer: settings.issuer,
          audience: settings.audience,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: settings.clockToleranceS,
        }));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new TokenRejected('The token has expired.');
        if (error instanceof joseErrors.JOSEError) throw new TokenRejected('The token is not valid.');
        throw error;
      }
      return { id: `jwt:${String(payload.sub).replace(/[^\w.@:-]/g, '_').slice(0, 64)}`, kind: 'jwt', scopes: scopesOf(payload) };
    },
  };
}

function scopesOf(payload: JWTPayload): ReadonlySet<Scope> {
  const claim = payload.scope;
  if (typeof claim !== 'string') return new Set(SCOPES);
  return new Set(claim.split(' ').filter(isScope));
}

/** Three base64url segments: what a JWS compact token looks like (API keys have no dots). */
export function looksLikeJwt(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}
