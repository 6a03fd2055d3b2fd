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
  /** Called when a ledger is opened (the shutdown report counts ledgers opened and not wiped). */
  onOpened?(ledger: WipeLedger): void;
  /** Called once per ledger after it wiped everything; tests use it to prove the wipe. */
  onWiped?(buffers: readonly Wipeable[], ledger: WipeLedger): void;
  /** Called each time buffers are zeroed and let go before the end (see `release`). */
  onReleased?(buffers: readonly Wipeable[], ledger: WipeLedger): void;
}

export class WipeLedger {
  private readonly buffers: Wipeable[] = [];
  private closed = false;

  constructor(private readonly observer: LedgerObserver = {}) {
    observer.onOpened?.(this);
  }

  /** Registers `buffer` for wiping and returns it, so allocation and registration are one step. */
  track<T extends Wipeable>(buffer: T): T {
    if (this.closed) {
      zero(buffer);
    } else {
      this.buffers.push(buffer);
    }
    return buffer;
  }

  /**
   * Zeroes `buffers` now and stops holding them, for data the request no longer needs before it
   * ends (raw body chunks once the upload has been copied out): memory is then not held for the
   * whole request. Buffers the ledger never tracked are zeroed all the same.
   */
  release(buffers: readonly Wipeable[]): void {
    if (buffers.length === 0) return;
    for (const buffer of buffers) zero(buffer);
    if (!this.closed) {
      const gone = new Set(buffers);
      let kept = 0;
      for (const buffer of this.buffers) if (!gone.has(buffer)) this.buffers[kept++] = buffer;
      this.buffers.length = kept;
    }
    this.observer.onReleased?.(buffers, this);
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
    this.observer.onWiped?.(wiped, this);
  }
}

export function zero(buffer: Wipeable): void {
  if (buffer instanceof ArrayBuffer) {
    if (buffer.byteLength > 0) new Uint8Array(buffer).fill(0);
  } else if (buffer.byteLength > 0) {
    buffer.fill(0);
  }
}

const ZEROES = new Uint8Array(64 * 1024);

/** True when every byte is zero (or the buffer was transferred away and is empty here). */
export function isZeroed(buffer: Wipeable): boolean {
  const view = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : buffer;
  // Compared natively, 64 KiB at a time: this runs on every upload chunk (see request/upload/upload.ts).
  for (let at = 0; at < view.length; at += ZEROES.length) {
    const part = view.subarray(at, at + ZEROES.length);
    if (Buffer.compare(part, ZEROES.subarray(0, part.length)) !== 0) return false;
  }
  return true;
}
