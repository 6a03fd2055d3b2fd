import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { AppError, errors } from '../../errors.js';
import { memoryStorage } from './memory-storage.js';
import { scopeOf } from '../request-scope.js';
import { isZeroed, type WipeLedger } from '../../privacy/wipe-ledger.js';

export interface UploadOptions {
  readonly maxUploadBytes: number;
  readonly maxConcurrentUploads: number;
  readonly bodyIdleTimeoutMs: number;
  /** Non-file form fields the route accepts (effects take format, quality, …). */
  readonly maxFields: number;
  /** The 503 for a request refused because every upload slot is taken. */
  readonly overloaded: () => AppError;
}

/** multer/busboy failures are all caused by the client's body: each becomes a 4xx. */
function uploadError(error: unknown, maxUploadBytes: number): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof multer.MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE': return errors.payloadTooLarge(maxUploadBytes);
      case 'LIMIT_FILE_COUNT': return errors.tooManyFiles();
      case 'LIMIT_UNEXPECTED_FILE': return errors.missingImage('Files are accepted only in the field "image".');
      default: return errors.malformedMultipart(`The multipart body exceeds a limit (${error.code}).`);
    }
  }
  const message = error instanceof Error ? error.message : '';
  return errors.malformedMultipart(/^(Multipart|Unexpected end of form|Malformed)/.test(message)
    ? `The multipart body is malformed: ${message.slice(0, 80)}.`
    : 'The multipart body could not be read.');
}

/** Room for boundaries, part headers and the small text fields next to the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** An oversized body up to this many times MAX_UPLOAD_BYTES is read before the 413 is sent. */
const DRAIN_FACTOR = 4;

export function isMultipartFormData(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase() === 'multipart/form-data';
}

/**
 * Receives the one photo of an image request into memory (field "image"), with every multer
 * limit set (all default to Infinity), a cap on uploads received at once, and an idle timeout
 * between body chunks so that a client trickling bytes is cut off.
 */
export function uploadImage(options: UploadOptions): RequestHandler {
  const parse = multer({
    storage: memoryStorage({ maxBytes: options.maxUploadBytes, ledgerOf: (req) => scopeOf(req).ledger }),
    limits: {
      fileSize: options.maxUploadBytes,
      files: 1,
      fields: options.maxFields,
      parts: options.maxFields + 1,
      fieldNameSize: 64,
      fieldSize: 1024,
      headerPairs: 32,
    },
  }).single('image');
  let active = 0;

  return (req: Request, res: Response, next: NextFunction) => {
    // Judge by the Content-Type alone: req.is() answers null for a request without a body, which
    // would turn an empty multipart request into "not multipart" instead of "missing image".
    const ledger = scopeOf(req).ledger;
    if (!isMultipartFormData(req.headers['content-type'])) {
      discardBody(req, ledger);
      next(errors.notMultipart());
      return;
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared === 0) {
      next(errors.missingImage());
      return;
    }
    // A body declared larger than the file limit plus room for the form's other parts is refused
    // without parsing it. Up to a bound it is read (and zeroed) first and answered after, so that
    // ordinary clients — fetch, phones — see the 413 rather than a connection reset mid-upload;
    // a body declared far larger is answered at once and the connection closed.
    if (declared > options.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
      const tooLarge = errors.payloadTooLarge(options.maxUploadBytes);
      if (declared > options.maxUploadBytes * DRAIN_FACTOR + MULTIPART_OVERHEAD_BYTES) {
        res.set('Connection', 'close');
        next(tooLarge);
        return;
      }
      discardBody(req, ledger);
      let answered = false;
      const answer = (): void => { if (!answered) { answered = true; next(tooLarge); } };
      req.once('end', answer);
      req.once('close', answer);
      return;
    }
    if (active >= options.maxConcurrentUploads) {
      res.set('Connection', 'close');
      discardBody(req, ledger);
      next(options.overloaded());
      return;
    }
    active++;
    const body = rawBody(ledger);
    let finished = false;
    let idle: NodeJS.Timeout | undefined;
    const done = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      active--;
      // The file is in the owned buffer now (or refused): the raw chunks are not needed any more.
      body.release();
      clearTimeout(idle);
      req.off('data', touch);
      if (error) {
        next(uploadError(error, options.maxUploadBytes));
      } else if (!req.file) {
        next(errors.missingImage());
      } else if (req.file.size === 0) {
        next(errors.missingImage('The file in the field "image" is empty.'));
      } else {
        next();
      }
    };
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        // Answer first, then drop the connection: the rest of the body will never be read.
        res.set('Connection', 'close');
        done(errors.requestTimeout());
        req.unpipe();
        res.once('finish', () => req.destroy());
      }, options.bodyIdleTimeoutMs);
    };
    touch();
    req.on('data', touch);
    res.once('close', () => done(errors.requestTimeout()));
    parse(req, res, (error?: unknown) => done(error));
    // After parse(): busboy's pipe listener sees each chunk first; this one only registers it.
    req.on('data', body.onChunk);
  };
}

interface RawBody {
  onChunk(chunk: Buffer): void;
  /** Zeroes and lets go of the chunks so far; later chunks are zeroed as they arrive. */
  release(): void;
}

/**
 * Every raw body chunk (a copy Node made of its socket buffer) is registered with the ledger:
 * it holds multipart framing and file bytes, including bytes multer never hands to the storage
 * engine — a second file, a file in the wrong field, everything past the size limit (drained).
 * The storage engine zeroes the file bytes it has copied out of them (busboy hands it views of
 * these chunks), so a chunk that reads all zeros holds nothing any more and is let go (checked
 * on arrival and when the next chunk arrives);
 * the rest (multipart framing, bytes never handed to the storage) are zeroed and let go when the
 * upload stage ends. Either way a request does not hold a second copy of its photo for long.
 */
function rawBody(ledger: WipeLedger): RawBody {
  let held: Buffer[] | undefined = [];
  return {
    onChunk(chunk) {
      if (!held) {
        ledger.release([chunk]);
        return;
      }
      held.push(ledger.track(chunk));
      // Only the newest two are looked at (this one, and the one before, whose bytes busboy may
      // have handed on a tick later): rescanning every held chunk on each arrival would let a body
      // the storage never zeroes (a file in the wrong field) cost quadratic time.
      const empty = held.slice(-2).filter(isZeroed);
      if (empty.length > 0) {
        ledger.release(empty);
        held = held.filter((c) => !empty.includes(c));
      }
    },
    release() {
      if (!held) return;
      ledger.release(held);
      held = undefined;
    },
  };
}

/**
 * A body the route refuses unread is still read, so that its chunks are zeroed; nothing reads
 * them, so each is zeroed (and let go) as it arrives.
 */
function discardBody(req: Request, ledger: WipeLedger): void {
  req.on('data', (chunk: Buffer) => ledger.release([chunk]));
  req.resume();
}
