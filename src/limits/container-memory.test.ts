import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { defaultMemoryBudgetBytes, FIXED_MEMORY_BUDGET_BYTES, parseMemoryLimit, readContainerMemoryLimit } from './container-memory.js';

const MiB = 1024 * 1024;

describe('container memory limit and MEMORY_BUDGET_MB', () => {
  it('parses cgroup v2 and v1 limit files, "max" and v1\'s huge "unlimited" as no limit', () => {
    expect(parseMemoryLimit('1610612736\n')).toBe(1536 * MiB);
    expect(parseMemoryLimit('max\n')).toBeUndefined();
    expect(parseMemoryLimit('9223372036854771712\n')).toBeUndefined();
    expect(parseMemoryLimit('')).toBeUndefined();
  });

  it('reads the first file that holds a limit and skips missing ones', () => {
    expect(readContainerMemoryLimit(['/nonexistent/memory.max'])).toBeUndefined();
    expect(readContainerMemoryLimit(['/nonexistent/memory.max', '/proc/sys/kernel/pid_max'])).toBeGreaterThan(0);
  });

  it('derives the default from the limit, with a floor, and a fixed default without one', () => {
    expect(defaultMemoryBudgetBytes(undefined)).toBe(FIXED_MEMORY_BUDGET_BYTES);
    expect(defaultMemoryBudgetBytes(1536 * MiB)).toBe(Math.floor(896 * MiB * 0.8));
    expect(defaultMemoryBudgetBytes(512 * MiB)).toBe(64 * MiB);
    expect(loadConfig({}, undefined).memoryBudgetBytes).toBe(384 * MiB);
    expect(loadConfig({}, 1536 * MiB).memoryBudgetBytes).toBe(717 * MiB);
    expect(loadConfig({ MEMORY_BUDGET_MB: '200' }, 1536 * MiB).memoryBudgetBytes).toBe(200 * MiB);
    expect(() => loadConfig({ MEMORY_BUDGET_MB: '0' })).toThrow(/MEMORY_BUDGET_MB/);
  });
});
