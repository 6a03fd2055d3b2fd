/**
 * The process-wide budget of decode memory (MEMORY_BUDGET_MB). Each admitted request holds a
 * lease of its estimated decode cost (imaging/decode-cost.ts) until its decode is over; a
 * request that does not fit now waits or gets 503 overloaded, one that could never fit (cost
 * above the whole budget) gets 413 image_too_large. Plain bookkeeping: no timers, no queue.
 */
export interface MemoryLease {
  readonly bytes: number;
  /** Gives the bytes back; idempotent, so every exit path may call it. */
  release(): void;
}

export interface MemoryBudget {
  readonly budgetBytes: number;
  /** Bytes held by leases now. */
  inUse(): number;
  /** False when `bytes` exceeds the whole budget: waiting can never help (413). */
  canEverFit(bytes: number): boolean;
  /** A lease of `bytes`, or undefined when that would exceed the budget now. */
  tryAcquire(bytes: number): MemoryLease | undefined;
}

export function createMemoryBudget(options: { budgetBytes: number }): MemoryBudget {
  const { budgetBytes } = options;
  if (!Number.isFinite(budgetBytes) || budgetBytes <= 0) throw new RangeError(`budgetBytes must be positive, got ${budgetBytes}`);
  let used = 0;
  return {
    budgetBytes,
    inUse: () => used,
    canEverFit: (bytes) => bytes <= budgetBytes,
    tryAcquire(bytes) {
      if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`bytes must be a non-negative number, got ${bytes}`);
      if (used + bytes > budgetBytes) return undefined;
      used += bytes;
      let held = true;
      return {
        bytes,
        release() {
          if (!held) return;
          held = false;
          used -= bytes;
        },
      };
    },
  };
}
