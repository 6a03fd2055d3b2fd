import { createHash, timingSafeEqual } from 'node:crypto';
import { SCOPES, type Limits, type Principal, type Scope } from './principal.js';

/**
 * Partner API keys, held only as SHA-256 digests. A presented key is hashed and compared with
 * every stored digest using crypto.timingSafeEqual, always over all entries, so neither the
 * comparison nor the position of the match leaks through timing. Equal-length digests make
 * timingSafeEqual applicable whatever length the presented key has.
 */
export interface StoredKey {
  readonly id: string;
  readonly sha256: Buffer;
  readonly scopes: readonly Scope[];
  readonly limits?: Partial<Limits>;
}

export interface KeyStore {
  readonly size: number;
  find(presented: string): Principal | undefined;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function storedKey(id: string, key: string, scopes: readonly Scope[] = SCOPES): StoredKey {
  return { id, sha256: sha256(key), scopes };
}

export function createKeyStore(keys: readonly StoredKey[]): KeyStore {
  const entries = keys.map((k) => ({
    digest: Buffer.from(k.sha256),
    principal: { id: `key:${k.id}`, kind: 'api_key', scopes: new Set(k.scopes), limits: k.limits } satisfies Principal,
  }));
  return {
    size: entries.length,
    find(presented: string): Principal | undefined {
      const digest = sha256(presented);
      let match: Principal | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(digest, entry.digest) && match === undefined) match = entry.principal;
      }
      return match;
    },
  };
}
