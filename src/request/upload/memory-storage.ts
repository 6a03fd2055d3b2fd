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
}

const INITIAL_BYTES = 64 * 1024;

export function memoryStorage(options: MemoryStorageOptions): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const ledger = options.ledgerOf(req);
      // The request's Content-Length bounds the file's size: start there to avoid regrowing.
      const declared = Number(req.headers['content-length']);
      const hint = Number.isFinite(declared) && declared > 0 ? declared : INITIAL_BYTES;
      let owned = ledger.track(Buffer.alloc(Math.min(hint, options.maxBytes)));
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
          const grown = ledger.track(Buffer.alloc(Math.min(Math.max(owned.length * 2, size + chunk.length), options.maxBytes)));
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
