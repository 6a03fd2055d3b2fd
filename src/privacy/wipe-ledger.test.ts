import { describe, expect, it } from 'vitest';
import { isZeroed, WipeLedger, zero, type Wipeable } from './wipe-ledger.js';

const filled = (n: number, v = 0xa5): Uint8Array => new Uint8Array(n).fill(v);

describe('WipeLedger', () => {
  it('zeroes every tracked buffer (Buffer, Uint8Array view, ArrayBuffer) on wipeAll', () => {
    const ledger = new WipeLedger();
    const buf = ledger.track(Buffer.from('a private photo'));
    const backing = new ArrayBuffer(64);
    new Uint8Array(backing).fill(9);
    const view = ledger.track(new Uint8Array(backing, 8, 16));
    const whole = ledger.track(new ArrayBuffer(32));
    new Uint8Array(whole).fill(3);
    expect(isZeroed(buf)).toBe(false);
    ledger.wipeAll();
    expect(isZeroed(buf)).toBe(true);
    expect(isZeroed(view)).toBe(true);
    expect(isZeroed(whole)).toBe(true);
    // Only the tracked view is wiped, not the rest of its ArrayBuffer.
    expect(new Uint8Array(backing)[0]).toBe(9);
    expect(new Uint8Array(backing)[24]).toBe(9);
  });

  it('track returns the same object, so allocation and registration are one step', () => {
    const ledger = new WipeLedger();
    const b = filled(4);
    expect(ledger.track(b)).toBe(b);
  });

  it('reports the wiped buffers to the observer exactly once, even if wipeAll is called again', () => {
    const seen: (readonly Wipeable[])[] = [];
    const ledger = new WipeLedger({ onWiped: (buffers) => seen.push(buffers) });
    const a = ledger.track(filled(10));
    const b = ledger.track(filled(20));
    ledger.wipeAll();
    ledger.wipeAll();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual([a, b]);
    expect(seen[0]!.every(isZeroed)).toBe(true);
    expect(ledger.isClosed).toBe(true);
  });

  it('zeroes at once a buffer registered after the ledger closed (late work of an aborted request)', () => {
    const ledger = new WipeLedger();
    ledger.wipeAll();
    const late = ledger.track(filled(100));
    expect(isZeroed(late)).toBe(true);
  });

  it('copes with a buffer whose ArrayBuffer was transferred away (length 0 here)', () => {
    const ledger = new WipeLedger();
    const pixels = ledger.track(filled(30));
    structuredClone(pixels.buffer, { transfer: [pixels.buffer as ArrayBuffer] });
    expect(pixels.byteLength).toBe(0);
    expect(() => ledger.wipeAll()).not.toThrow();
    expect(isZeroed(pixels)).toBe(true);
  });
});

describe('zero / isZeroed', () => {
  it('isZeroed finds a single non-zero byte anywhere', () => {
    const b = new Uint8Array(1000);
    expect(isZeroed(b)).toBe(true);
    b[999] = 1;
    expect(isZeroed(b)).toBe(false);
    zero(b);
    expect(isZeroed(b)).toBe(true);
    const ab = new ArrayBuffer(8);
    new Uint8Array(ab)[3] = 7;
    expect(isZeroed(ab)).toBe(false);
    zero(ab);
    expect(isZeroed(ab)).toBe(true);
  });

  it('release zeroes buffers at once, stops holding them and tells the observer', () => {
    const released: (readonly Wipeable[])[] = [];
    const wiped: (readonly Wipeable[])[] = [];
    const ledger = new WipeLedger({
      onReleased: (buffers, from) => { expect(from).toBe(ledger); released.push(buffers); },
      onWiped: (buffers) => wiped.push(buffers),
    });
    const chunkA = ledger.track(filled(8));
    const kept = ledger.track(filled(16));
    const chunkB = ledger.track(filled(8));
    const untracked = filled(4);
    ledger.release([chunkA, chunkB, untracked]);
    expect([chunkA, chunkB, untracked].every(isZeroed)).toBe(true);
    expect(isZeroed(kept)).toBe(false);
    expect(released).toEqual([[chunkA, chunkB, untracked]]);
    ledger.wipeAll();
    // Only what was still held is wiped at the end.
    expect(wiped).toEqual([[kept]]);
    expect(isZeroed(kept)).toBe(true);
  });

  it('release after the ledger closed still zeroes', () => {
    const ledger = new WipeLedger();
    ledger.wipeAll();
    const late = filled(12);
    ledger.release([late]);
    expect(isZeroed(late)).toBe(true);
  });
});
