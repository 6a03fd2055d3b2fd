import type { Response } from 'express';
import type { Principal } from '../auth/principal.js';
import type { RunContext } from '../pipeline/run.js';

/**
 * What the service knows about one request, in one typed place (res.locals.mayfly): set by the
 * step that learns it and read by the log line, the metrics and the spine. It replaces the
 * WeakMaps keyed by `req` that each middleware used to keep.
 */
export interface RequestContext {
  /** Yours (X-Request-Id, when sane) or generated; echoed in the answer and the log. */
  readonly id: string;
  /** Set by authentication. */
  principal?: Principal;
  /** The problem's code, when the answer is one (log line, rejections metric). */
  errorCode?: string;
  /** Image requests only: the buffers, deadline and abort signal of the work (see scope.ts). */
  scope?: RequestScope;
}

/**
 * The per-request scope of an image request: its wipe ledger, its deadline, an abort signal (the
 * client went away) and the step timings. The pipeline receives it as plain data (its own
 * RunContext); it never sees req or res.
 */
export type RequestScope = RunContext;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      mayfly?: RequestContext;
    }
  }
}

export function openContext(res: Response, id: string): RequestContext {
  const ctx: RequestContext = { id };
  res.locals.mayfly = ctx;
  return ctx;
}

/** The request's context; every request has one (the first middleware opens it). */
export function contextOf(res: Response): RequestContext {
  const ctx = res.locals.mayfly;
  if (!ctx) throw new Error('request context missing: the observe middleware must run first');
  return ctx;
}

/** Resolves once the response is over: handed to the kernel ('finish') or cut off ('close'). */
export function responseEnded(res: Response): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    res.once('finish', () => resolve());
    res.once('close', () => resolve());
  });
}
