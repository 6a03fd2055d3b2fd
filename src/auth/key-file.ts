import { z } from 'zod';
import { KEY_ID_PATTERN } from '../config.js';
import { SCOPES } from './principal.js';
import type { StoredKey } from './key-store.js';

/**
 * API_KEYS_FILE: JSON listing each key's id, the SHA-256 of the key (hex), its scopes and
 * optional per-key limits. The file never contains a key itself.
 *
 *   { "keys": [ { "id": "acme", "sha256": "9f86d0…", "scopes": ["landmarks"],
 *                 "limits": { "rps": 2, "burst": 5, "daily": 5000 } } ] }
 *
 * Hash a new key with: printf %s "$KEY" | sha256sum
 */
export const keyFileSchema = z.strictObject({
  keys: z.array(z.strictObject({
    id: z.string().regex(KEY_ID_PATTERN),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'Expected 64 hex digits'),
    scopes: z.array(z.enum(SCOPES)).min(1).default([...SCOPES]),
    limits: z.strictObject({
      rps: z.int().min(1).max(100_000).optional(),
      burst: z.int().min(0).max(1_000_000).optional(),
      daily: z.int().min(1).max(1_000_000_000).optional(),
    }).optional(),
  })).min(1),
});

/** Parses the file's text; returns every problem at once (paths and messages, never key material). */
export function parseKeyFile(text: string): { keys: StoredKey[] } | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problems: ['API_KEYS_FILE is not valid JSON'] };
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => `API_KEYS_FILE ${i.path.join('.') || '(root)'}: ${i.message}`) };
  }
  const ids = parsed.data.keys.map((k) => k.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined) return { problems: [`API_KEYS_FILE: id "${duplicate}" appears twice`] };
  return {
    keys: parsed.data.keys.map((k) => ({
      id: k.id, sha256: Buffer.from(k.sha256, 'hex'), scopes: k.scopes, limits: k.limits,
    })),
  };
}
