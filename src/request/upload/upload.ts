import type { Request, Response } from 'express';
import multer from 'multer';
import { AppError, errors } from '../../errors.js';
import { isZeroed, type WipeLedger } from '../../privacy/wipe-ledger.js';
import { memoryStorage } from './memory-storage.js';

export interface UploadOptions {
  readonly maxUploadBytes: number;
  readonly bodyIdleTimeoutMs: number;
  /** Slowest average rate accepted once `rateGraceMs` has passed (0: none). */
  readonly minBytesPerS: number;
  readonly rateGraceMs: number;
  /** Non-file form fields the route accepts (effects take format, quality, …). */
  readonly maxFields: number;
  /** The file fields the route takes, each exactly once (most routes: ["image"]). */
  readonly files: readonly string[];
  /** Charges owned upload bytes to the memory budget as they are allocated (throws to refuse). */
  readonly reserve?: (bytes: number) => void;
}

/** The uploaded files in memory (views of ledger-tracked buffers) and the form's text fields. */
export interface Upload {
  readonly files: Readonly<Record<string, Uint8Array>>;
  readonly fields: Readonly<Record<string, unknown>>;
}

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(' and ');

/** multer/busboy failures are all caused by the client's body: each becomes a 4xx. */
function uploadError(error: unknown, options: UploadOptions): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof multer.MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE': return errors.payloadTooLarge(options.maxUploadBytes);
      case 'LIMIT_FILE_COUNT': return errors.tooManyFiles(options.files);
      // A second file in a known field is one file too many; a file in any other field is misplaced.
      case 'LIMIT_UNEXPECTED_FILE': return options.files.includes(error.field ?? '')
        ? errors.tooManyFiles(options.files)
        : errors.missingImage(`Files are accepted only in the field${options.files.length > 1 ? 's' : ''} ${quoted(options.files)}.`);
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
 * Checks the request's framing before any body byte is kept: multipart, not empty, not declared
 * larger than the limit. A refused body is still read (and each chunk zeroed) where that lets
 * the client see the answer; a body declared far too large is answered at once and the
 * connection closed. Resolves when the request may go on to `receiveUpload`.
 */
export async function checkUploadFraming(req: Request, res: Response, ledger: WipeLedger, options: UploadOptions): Promise<void> {
  // Judge by the Content-Type alone: req.is() answers null for a request without a body, which
  // would turn an empty multipart request into "not multipart" instead of "missing image".
  if (!isMultipartFormData(req.headers['content-type'])) {
    discardBody(req, ledger);
    throw errors.notMultipart();
  }
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared === 0) throw errors.missingImage();
  // A body declared larger than the file limit plus room for the form's other parts is refused
  // without parsing it. Up to a bound it is read (and zeroed) first and answered after, so that
  // ordinary clients — fetch, phones — see the 413 rather than a connection reset mid-upload;
  // a body declared far larger is answered at once and the connection closed.
  if (declared > options.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
    const tooLarge = errors.payloadTooLarge(options.maxUploadBytes);
    if (declared > options.maxUploadBytes * DRAIN_FACTOR + MULTIPART_OVERHEAD_BYTES) {
      res.set('Connection', 'close');
      throw tooLarge;
    }
    discardBody(req, ledger);
    await new Promise<void>((resolve) => { req.once('end', resolve); req.once('close', resolve); });
    throw tooLarge;
  }
}

/**
 * A request the service refuses before reading its body (no room): the body is read and zeroed
 * as it arrives, and the connection is closed after the answer.
 */
export function refuseBody(req: Request, res: Response, ledger: WipeLedger): void {
  res.set('Connection', 'close');
  discardBody(req, ledger);
}

/**
 * Receives the one photo of an image request into memory (field "image"), with every multer
 * limit set (all default to Infinity), an idle timeout between body chunks and a minimum average
 * rate after a grace, so that a client trickling bytes gives its slot back within seconds (408).
 * Every byte lands in ledger-tracked buffers.
 */
export function receiveUpload(req: Request, res: Response, ledger: WipeLedger, options: UploadOptions): Promise<Upload> {
  const parse = multer({
    storage: memoryStorage({ maxBytes: options.maxUploadBytes, ledgerOf: () => ledger, reserve: options.reserve }),
    limits: {
      fileSize: options.maxUploadBytes,
      files: options.files.length,
      fields: options.maxFields,
      parts: options.maxFields + 1,
      fieldNameSize: 64,
      fieldSize: 1024,
      headerPairs: 32,
    },
  }).fields(options.files.map((name) => ({ name, maxCount: 1 })));

  return new Promise<Upload>((resolve, reject) => {
    const body = rawBody(ledger);
    let finished = false;
    let idle: NodeJS.Timeout | undefined;
    let received = 0;
    const started = performance.now();
    const done = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      // The file is in the owned buffer now (or refused): the raw chunks are not needed any more.
      body.release();
      clearTimeout(idle);
      clearInterval(rate);
      req.off('data', touch);
      if (error) {
        reject(uploadError(error, options));
        return;
      }
      const received = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
      const files: Record<string, Uint8Array> = {};
      for (const name of options.files) {
        const file = received[name]?.[0];
        if (!file) return reject(name === 'image' ? errors.missingImage() : errors.missingImage(`Send a file in the field "${name}" as well.`));
        if (file.size === 0) return reject(errors.missingImage(`The file in the field "${name}" is empty.`));
        files[name] = file.buffer;
      }
      resolve({ files, fields: (req.body ?? {}) as Record<string, unknown> });
    };
    const cutOff = (detail?: string): void => {
      // Answer first, then drop the connection: the rest of the body will never be read.
      res.set('Connection', 'close');
      done(errors.requestTimeout(detail));
      req.unpipe();
      res.once('finish', () => req.destroy());
    };
    const touch = (chunk?: Buffer): void => {
      received += chunk?.length ?? 0;
      clearTimeout(idle);
      idle = setTimeout(() => cutOff(), options.bodyIdleTimeoutMs);
    };
    // Judged on the average since the body started, once a second after the grace.
    const rate = options.minBytesPerS > 0 ? setInterval(() => {
      const elapsedMs = performance.now() - started;
      if (elapsedMs >= options.rateGraceMs && received < (options.minBytesPerS * elapsedMs) / 1000) {
        cutOff(`The upload arrived slower than ${options.minBytesPerS} bytes/s.`);
      }
    }, Math.min(1000, options.rateGraceMs)) : undefined;
    touch();
    req.on('data', touch);
    res.once('close', () => done(errors.requestTimeout()));
    parse(req, res, (error?: unknown) => done(error));
    // After parse(): busboy's pipe listener sees each chunk first; this one only registers it.
    req.on('data', body.onChunk);
  });
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
