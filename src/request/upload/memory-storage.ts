import type { Request } from 'express';
import multer, { type StorageEngine } from 'multer';
import type { WipeLedger } from '../../privacy/wipe-ledger.js';

/**
 * A multer StorageEngine that never touches the disk and leaves no stray copies: each incoming
 * chunk is copied into one owned buffer (registered with the request's wipe ledger) and then
 * zeroed. multer's own memoryStorage concatenates chunks and leaves the originals behind.
 * When the owned buffer must grow, the old one is zeroed after the copy.
 *
 * The engine enforces `maxBytes` itself (as multer's LIMIT_FILE_SIZE), so it never depends on
 * busboy's limit for its own bounds; once it has failed or the ledger is closed, every further
 * chunk is zeroed and dropped.
 */
export interface MemoryStorageOptions {
  readonly maxBytes: number;
  readonly ledgerOf: (req: Request) => WipeLedger;
  /**
   * Charges `bytes` more of owned buffer to the process's memory budget before they are
   * allocated; throws (an AppError) to refuse. Charges are given back when the request ends.
   */
  readonly reserve?: (bytes: number) => void;
}

const INITIAL_BYTES = 64 * 1024;
/**
 * The owned buffer starts at most this large and doubles as bytes arrive, up to the declared
 * size: an upload holds memory for what it has sent, not for what it claims it will send (a
 * client trickling bytes with a large Content-Length holds almost nothing).
 */
const FIRST_BYTES = 256 * 1024;

export function memoryStorage(options: MemoryStorageOptions): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const ledger = options.ledgerOf(req);
      // The request's Content-Length bounds the file's size: growth stops there.
      const declared = Number(req.headers['content-length']);
      const cap = Math.min(Number.isFinite(declared) && declared > 0 ? declared : options.maxBytes, options.maxBytes);
      const allocate = (bytes: number, had: number): Buffer => {
        options.reserve?.(bytes - had);
        return ledger.track(Buffer.alloc(bytes));
      };
      let owned: Buffer;
      try {
        owned = allocate(Math.min(cap, Number.isFinite(declared) && declared > 0 ? FIRST_BYTES : INITIAL_BYTES), 0);
      } catch (error) {
        file.stream.resume();
        callback(error as Error);
        return;
      }
      let size = 0;
      let done = false;
      const finish = (error: Error | null): void => {
        if (done) return;
        done = true;
        if (error) {
          owned.fill(0);
          callback(error);
        } else {
          callback(null, { buffer: owned.subarray(0, size), size });
        }
      };
      file.stream.on('data', (chunk: Buffer) => {
        if (done || ledger.isClosed) {
          chunk.fill(0);
          return;
        }
        if (size + chunk.length > options.maxBytes) {
          chunk.fill(0);
          finish(new multer.MulterError('LIMIT_FILE_SIZE', file.fieldname));
          return;
        }
        if (size + chunk.length > owned.length) {
          let grown: Buffer;
          try {
            grown = allocate(Math.min(Math.max(owned.length * 2, size + chunk.length), Math.max(cap, size + chunk.length)), owned.length);
          } catch (error) {
            chunk.fill(0);
            finish(error as Error);
            return;
          }
          owned.copy(grown, 0, 0, size);
          owned.fill(0);
          owned = grown;
        }
        chunk.copy(owned, size);
        size += chunk.length;
        chunk.fill(0);
      });
      file.stream.on('error', (error: Error) => finish(error));
      file.stream.on('end', () => finish(null));
    },

    _removeFile(_req, file, callback) {
      file.buffer?.fill(0);
      callback(null);
    },
  };
}
