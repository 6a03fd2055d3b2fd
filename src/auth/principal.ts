/**
 * Who is calling, as the rest of the service sees it: a log-safe id, what it may use, and its
 * limits. Built by the key store (partners) or the JWT verifier (mobile app); never carries the
 * secret itself.
 */
export const SCOPES = ['landmarks', 'effects'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Limits {
  /** Sustained requests per second. */
  readonly rps: number;
  /** Extra requests allowed above `rps` within one burst window. */
  readonly burst: number;
  /** Requests per 24-hour window. */
  readonly daily: number;
}

export interface Principal {
  /** `key:<id>` for API keys, `jwt:<sub>` for app tokens: the only identity logs and limits see. */
  readonly id: string;
  readonly kind: 'api_key' | 'jwt';
  readonly scopes: ReadonlySet<Scope>;
  /** Per-key limits from the key file; undefined means the configured defaults. */
  readonly limits?: Partial<Limits>;
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
