import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { errors } from '../errors.js';
import { WipeLedger } from '../privacy/wipe-ledger.js';
import type { Capacity, Release } from './capacity.js';
import { contextOf, responseEnded, type RequestScope } from './context.js';
import type { ServiceState } from './service-state.js';
import { checkUploadFraming, receiveUpload, refuseBody, type UploadOptions } from './upload/upload.js';

/**
 * The spine of every image request (after imgproxy's execute()): one function, top to bottom.
 *
 *   ready?  → route checks that need no body (e.g. the template exists)
 *   room?   → open the scope: wipe ledger, deadline, abort signal
 *   receive the upload into memory (an upload slot while it arrives)
 *   parse the form fields → admit (MAX_IN_FLIGHT) → run the pipeline → write the answer
 *   finally, once the answer is handed to the kernel or the client is gone:
 *           wipe every buffer of the request, give back its capacity
 *
 * Routes say what differs (fields, pipeline, answer) as an ImageRoute; authentication, scope and
 * rate limit have run before this (they are attached to the route, see http/guard.ts).
 */
export interface ImageRoute<Fields, Result> {
  /** Refusals that need no body, before a byte of it is read (e.g. 404 template_not_found). */
  readonly precheck?: (req: Request) => void;
  /** Non-file form fields the route accepts (multer's limit). */
  readonly maxFields: number;
  /** The file fields, each required once; default ["image"]. */
  readonly files?: readonly string[];
  /** Validates the form fields; a bad one is a 400 invalid_parameter. */
  readonly parse: (fields: Readonly<Record<string, unknown>>, req: Request) => Fields;
  /** The pipeline: plain data in, plain data out; it never sees req or res. */
  readonly run: (files: Readonly<Record<string, Uint8Array>>, fields: Fields, scope: RequestScope) => Promise<Result>;
  /** Writes the answer (headers and body). */
  readonly write: (res: Response, result: Result, scope: RequestScope) => void;
}

export interface SpineDeps {
  readonly state: ServiceState;
  readonly capacity: Capacity;
  readonly requestTimeoutMs: number;
  readonly upload: Omit<UploadOptions, 'maxFields' | 'files' | 'reserve'>;
}

export function imageRequest<F, R>(deps: SpineDeps, route: ImageRoute<F, R>): RequestHandler {
  return (req, res, next) => serve(req, res, next, deps, route);
}

async function serve<F, R>(req: Request, res: Response, next: NextFunction, deps: SpineDeps, route: ImageRoute<F, R>): Promise<void> {
  const { capacity } = deps;
  // The upload's owned bytes are charged to the memory budget as they arrive, until the end.
  const memory: Release[] = [];
  const uploadOptions: UploadOptions = {
    ...deps.upload, maxFields: route.maxFields, files: route.files ?? ['image'],
    reserve: (bytes) => { memory.push(capacity.holdMemory(bytes)); },
  };
  let scope: RequestScope | undefined;
  let uploadSlot: Release | undefined;
  let processing: Release | undefined;
  try {
    if (deps.state.phase !== 'ready') throw errors.notReady();
    route.precheck?.(req);
    try {
      capacity.checkRoom();
    } catch (error) {
      // Full already: refused without keeping its body, so shedding costs no upload memory.
      res.set('Connection', 'close');
      throw error;
    }

    scope = openScope(res, deps.requestTimeoutMs, capacity);
    await checkUploadFraming(req, res, scope.ledger, uploadOptions);
    try {
      // req.ip honours TRUST_PROXY_HOPS (express 'trust proxy').
      uploadSlot = capacity.takeUploadSlot(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    } catch (error) {
      refuseBody(req, res, scope.ledger);
      throw error;
    }
    const upload = await receiveUpload(req, res, scope.ledger, uploadOptions);
    uploadSlot();

    const fields = route.parse(upload.fields, req);
    processing = capacity.admit();
    const result = await route.run(upload.files, fields, scope);
    route.write(res, result, scope);
  } catch (error) {
    next(error);
  } finally {
    await responseEnded(res);
    scope?.ledger.wipeAll();
    uploadSlot?.();
    processing?.();
    for (const release of memory) release();
  }
}

/** The request's ledger, deadline and abort signal; the abort fires if the client leaves first. */
function openScope(res: Response, timeoutMs: number, capacity: Capacity): RequestScope {
  const controller = new AbortController();
  const scope: RequestScope = {
    ledger: new WipeLedger(capacity.ledgerObserver),
    deadline: Date.now() + timeoutMs,
    signal: controller.signal,
    timings: {},
    holdMemory: (bytes) => capacity.holdMemory(bytes),
  };
  contextOf(res).scope = scope;
  // Not awaited here: the abort must fire while the work still runs, not after it.
  void responseEnded(res).then(() => {
    if (!res.writableFinished) controller.abort();
    // Wiped at once on a disconnect, too: late work registering buffers then zeroes them at once.
    scope.ledger.wipeAll();
  });
  return scope;
}
