import { errors } from '../errors.js';
import type { WipeLedger } from '../privacy/wipe-ledger.js';

/**
 * The pipeline is a list of small named steps over one context (after imgproxy). Between steps
 * the deadline and the abort signal are checked, so a request that ran out of time or whose
 * client left stops at the next step boundary instead of running to the end.
 */
export interface RunContext {
  /** Epoch ms by which the answer must be ready. */
  readonly deadline: number;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** Owns every buffer of this request that holds image data. */
  readonly ledger: WipeLedger;
  /** Milliseconds per step, filled in as steps finish (Server-Timing, metrics). */
  readonly timings: Record<string, number>;
  /**
   * Holds `bytes` of the process's decode-memory budget until the returned release is called
   * (or the request ends); throws 413 or 503 when it cannot. Given by the request spine.
   */
  readonly holdMemory: (bytes: number) => () => void;
}

export interface Step<C extends RunContext> {
  readonly name: string;
  run(ctx: C): Promise<void> | void;
}

export interface StageObserver {
  onStage?(name: string, ms: number): void;
}

export function checkDeadline(ctx: RunContext): void {
  if (ctx.signal.aborted || Date.now() > ctx.deadline) throw errors.timeout();
}

export async function runSteps<C extends RunContext>(
  ctx: C, steps: readonly Step<C>[], observer: StageObserver = {},
): Promise<void> {
  for (const step of steps) {
    checkDeadline(ctx);
    const started = performance.now();
    await step.run(ctx);
    const ms = performance.now() - started;
    ctx.timings[step.name] = (ctx.timings[step.name] ?? 0) + ms;
    observer.onStage?.(step.name, ms);
  }
  checkDeadline(ctx);
}

/**
 * A context field a step reads, set by an earlier step (`by`): steps run in list order, so a
 * missing one is a bug in the list, reported as such rather than hidden behind `!`.
 */
export function produced<T>(value: T | undefined, field: string, by: string): T {
  if (value === undefined) throw new Error(`pipeline order: "${field}" is set by the ${by} step, which has not run`);
  return value;
}
