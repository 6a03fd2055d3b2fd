import { readFileSync } from 'node:fs';

const MiB = 1024 * 1024;

/** Baseline the budget leaves to the process itself: models and wasm heaps (≈ 530 MB at POOL_SIZE=2), V8, uploads. */
export const MEMORY_BASELINE_BYTES = 640 * MiB;
/** MEMORY_BUDGET_MB when no container limit is found: with the ≈ 530 MB baseline, a peak under 1 GB. */
export const FIXED_MEMORY_BUDGET_BYTES = 384 * MiB;
const MIN_BUDGET_BYTES = 64 * MiB;
/** cgroup v1 reports "no limit" as a huge number (page-rounded 2^63). */
const UNLIMITED_ABOVE = 2 ** 60;

/** The cgroup v1 and v2 files that hold this container's memory limit, most specific first. */
export const CGROUP_MEMORY_LIMIT_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'] as const;

/** Parses one of those files: bytes, or undefined for "max", no limit or an unreadable value. */
export function parseMemoryLimit(text: string): number | undefined {
  const value = text.trim();
  if (!/^\d+$/.test(value)) return undefined;
  const bytes = Number(value);
  return bytes > 0 && bytes < UNLIMITED_ABOVE ? bytes : undefined;
}

/** The container's memory limit in bytes, or undefined outside a limited cgroup. */
export function readContainerMemoryLimit(files: readonly string[] = CGROUP_MEMORY_LIMIT_FILES): number | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    const limit = parseMemoryLimit(text);
    if (limit !== undefined) return limit;
  }
  return undefined;
}

/**
 * The default decode-memory budget: 80 % of what the container limit leaves above the baseline
 * (1536 MiB → 716 MiB; the rest is headroom for uploads being received and V8), at least 64 MiB;
 * FIXED_MEMORY_BUDGET_BYTES without a limit.
 */
export function defaultMemoryBudgetBytes(containerLimit: number | undefined): number {
  if (containerLimit === undefined) return FIXED_MEMORY_BUDGET_BYTES;
  return Math.max(MIN_BUDGET_BYTES, Math.floor((containerLimit - MEMORY_BASELINE_BYTES) * 0.8));
}
