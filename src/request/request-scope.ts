import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { WipeLedger, type LedgerObserver } from '../privacy/wipe-ledger.js';
import type { RunContext } from '../pipeline/run.js';
import { onResponseEnd } from './response-end.js';

/**
 * The per-request scope of an image request: its wipe ledger, its deadline and an abort signal.
 * The ledger is wiped on the response's 'finish' (answer handed to the kernel) and on 'close'
 * (client gone, error, timeout) — whichever comes first; both are safe to call.
 */
interface Scope {
  readonly ledger: WipeLedger;
  readonly controller: AbortController;
  readonly deadline: number;
  readonly timings: Record<string, number>;
}

const scopes = new WeakMap<Request, Scope>();

export function requestScope(options: { timeoutMs: number; observer?: LedgerObserver }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const scope: Scope = {
      ledger: new WipeLedger(options.observer),
      controller: new AbortController(),
      deadline: Date.now() + options.timeoutMs,
      timings: {},
    };
    scopes.set(req, scope);
    onResponseEnd(res, () => {
      if (!res.writableFinished) scope.controller.abort();
      scope.ledger.wipeAll();
    });
    next();
  };
}

export function scopeOf(req: Request): Scope {
  const scope = scopes.get(req);
  if (!scope) throw new Error('requestScope middleware missing before this handler');
  return scope;
}

export function runContextOf(req: Request): RunContext {
  const { ledger, controller, deadline, timings } = scopeOf(req);
  return { ledger, signal: controller.signal, deadline, timings };
}

/** Stage timings of an image request (for logs), or undefined for requests without a scope. */
export function timingsOf(req: Request): Readonly<Record<string, number>> | undefined {
  return scopes.get(req)?.timings;
}
