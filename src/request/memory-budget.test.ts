import { describe, expect, it } from 'vitest';
import { createMemoryBudget } from './memory-budget.js';

describe('createMemoryBudget', () => {
  it('admits while the leases fit, refuses beyond, and admits again once released', () => {
    const budget = createMemoryBudget({ budgetBytes: 100 });
    const a = budget.tryAcquire(60);
    expect(a?.bytes).toBe(60);
    expect(budget.tryAcquire(41)).toBeUndefined();
    const b = budget.tryAcquire(40);
    expect(b).toBeDefined();
    expect(budget.inUse()).toBe(100);
    expect(budget.tryAcquire(1)).toBeUndefined();
    a!.release();
    expect(budget.inUse()).toBe(40);
    expect(budget.tryAcquire(60)).toBeDefined();
  });

  it('release is idempotent: a second call does not give back bytes twice', () => {
    const budget = createMemoryBudget({ budgetBytes: 100 });
    const a = budget.tryAcquire(70)!;
    budget.tryAcquire(30);
    a.release();
    a.release();
    expect(budget.inUse()).toBe(30);
  });

  it('tells a cost that can never fit (413) from one that must wait (503)', () => {
    const budget = createMemoryBudget({ budgetBytes: 100 });
    expect(budget.canEverFit(100)).toBe(true);
    expect(budget.canEverFit(101)).toBe(false);
    expect(budget.tryAcquire(101)).toBeUndefined();
  });

  it('refuses nonsense sizes', () => {
    expect(() => createMemoryBudget({ budgetBytes: 0 })).toThrow(RangeError);
    expect(() => createMemoryBudget({ budgetBytes: 10 }).tryAcquire(Number.NaN)).toThrow(RangeError);
    expect(() => createMemoryBudget({ budgetBytes: 10 }).tryAcquire(-1)).toThrow(RangeError);
  });
});
