import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { errors } from '../errors.js';
import type { LedgerObserver, Wipeable, WipeLedger } from '../privacy/wipe-ledger.js';
import type { ServiceState } from './service-state.js';
import { onResponseEnd } from './response-end.js';

/**
 * Graceful shutdown, the HTTP half. Every /v1 request is counted from the moment it is admitted
 * until its response finished or its connection closed. Once the service is stopping, new /v1
 * requests are refused (503 shutting_down; Node discards their unread body, so the client can
 * read the answer) while admitted ones run on;
 * `idle()` resolves when none is left. Wipe ledgers are counted too, so the shutdown can report
 * that every request's buffers were wiped.
 */
export interface Drain {
  readonly gate: RequestHandler;
  /** Wraps the ledger observer the request scopes use, counting ledgers opened and wiped. */
  readonly countLedger: RequestHandler;
  readonly ledgerObserver: LedgerObserver;
  inFlight(): number;
  openLedgers(): number;
  idle(): Promise<void>;
}

export function createDrain(state: ServiceState, inner: LedgerObserver = {}): Drain {
  let inFlight = 0;
  let opened = 0;
  let wiped = 0;
  const waiters: (() => void)[] = [];
  const settle = (): void => {
    if (inFlight > 0) return;
    for (const resolve of waiters.splice(0)) resolve();
  };
  return {
    gate(_req: Request, res: Response, next: NextFunction) {
      if (state.phase === 'stopping') {
        next(errors.shuttingDown());
        return;
      }
      inFlight++;
      onResponseEnd(res, () => {
        inFlight--;
        // Let the ledger's own finish/close listener run first.
        setImmediate(settle);
      });
      next();
    },
    countLedger(_req: Request, _res: Response, next: NextFunction) {
      opened++;
      next();
    },
    ledgerObserver: {
      onWiped(buffers: readonly Wipeable[], ledger: WipeLedger) {
        wiped++;
        inner.onWiped?.(buffers, ledger);
      },
      onReleased(buffers: readonly Wipeable[], ledger: WipeLedger) {
        inner.onReleased?.(buffers, ledger);
      },
    },
    inFlight: () => inFlight,
    openLedgers: () => opened - wiped,
    idle() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => { waiters.push(resolve); });
    },
  };
}
