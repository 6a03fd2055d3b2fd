/**
 * The wipe ledger: every buffer that holds a person's image data (upload bytes, decoded pixels,
 * encoded answer) is registered with the request's ledger the moment it is created, and the
 * ledger fills them all with zeros once the response has finished, failed or been abandoned.
 *
 * A buffer registered after the ledger closed (late work of an aborted request) is zeroed at once.
 * A buffer whose ArrayBuffer was transferred to a worker reads as length 0 here: the worker that
 * received it zeroes it (see faces/detect-worker.ts).
 */
export type Wipeable = Uint8Array | ArrayBuffer;

export interface LedgerObserver {
  /** Called once per ledger after it wiped everything; tests use it to prove the wipe. */
  onWiped?(buffers: readonly Wipeable[]): void;
}

export class WipeLedger {
  private readonly buffers: Wipeable[] = [];
  private closed = false;

  constructor(private readonly observer: LedgerObserver = {}) {}

  /** Registers `buffer` for wiping and returns it, so allocation and registration are one step. */
  track<T extends Wipeable>(buffer: T): T {
    if (this.closed) {
      zero(buffer);
    } else {
      this.buffers.push(buffer);
    }
    return buffer;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Zeroes every registered buffer. Idempotent: 'finish', 'close' and errors may all call it. */
  wipeAll(): void {
    if (this.closed) return;
    this.closed = true;
    for (const buffer of this.buffers) zero(buffer);
    const wiped = this.buffers.splice(0);
    this.observer.onWiped?.(wiped);
  }
}

export function zero(buffer: Wipeable): void {
  if (buffer instanceof ArrayBuffer) {
    if (buffer.byteLength > 0) new Uint8Array(buffer).fill(0);
  } else if (buffer.byteLength > 0) {
    buffer.fill(0);
  }
}

/** True when every byte is zero (or the buffer was transferred away and is empty here). */
export function isZeroed(buffer: Wipeable): boolean {
  const view = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : buffer;
  for (let i = 0; i < view.length; i++) if (view[i] !== 0) return false;
  return true;
}
