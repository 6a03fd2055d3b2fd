/**
 * The throughput issue's targets, judged on one bench run's figures, so a reader of the output
 * sees at once which held. Plain data in, lines out; the bench prints them and asserts nothing.
 */
export const TARGETS = {
  /** Service ÷ floor at every level with at least `perFloorFromClients` clients. */
  perFloor: 0.8,
  perFloorFromClients: 4,
  /** p99 ÷ p50 at saturation: every level with more clients than MAX_IN_FLIGHT (the excess is shed). */
  p99PerP50: 3,
  /** Peak RSS (VmHWM) over a run that ends with 64 clients posting 12 MP photos. */
  peakRssMb: 700,
  /** First request after /readyz ÷ steady state. */
  warmUp: 1.5,
} as const;

export interface LevelFigures {
  readonly endpoint: string;
  readonly concurrency: number;
  /** ok/s ÷ (workers × floor rate); NaN where the level has no floor (the 12 MP level). */
  readonly perFloor: number;
  readonly p99PerP50: number;
  /** Inference workers' CPU ms per answer, and the model's ms per image in the level's own floors: shown beside a miss. */
  readonly inferMsPerOk: number;
  readonly floorInferMs: number;
}

export interface RunFigures {
  readonly levels: readonly LevelFigures[];
  readonly maxInFlight: number;
  readonly warmUp: number;
  /** Undefined when the 12 MP level was skipped: the memory target was then not measured. */
  readonly peakRssMb: number | undefined;
}

export interface Verdict {
  readonly target: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
  readonly figures: string;
}

const where = (l: LevelFigures): string => `${l.endpoint}, ${l.concurrency} clients`;

export function judgeTargets(run: RunFigures): Verdict[] {
  const verdicts: Verdict[] = [];

  const loaded = run.levels.filter((l) => l.concurrency >= TARGETS.perFloorFromClients && Number.isFinite(l.perFloor));
  const missed = loaded.filter((l) => l.perFloor < TARGETS.perFloor);
  const lowest = [...loaded].sort((a, b) => a.perFloor - b.perFloor)[0];
  verdicts.push({
    target: `service ÷ floor ≥ ${TARGETS.perFloor} at ≥ ${TARGETS.perFloorFromClients} clients`,
    met: lowest ? missed.length === 0 : undefined,
    figures: !lowest ? 'no such level'
      : missed.length === 0 ? `lowest ${lowest.perFloor.toFixed(2)} (${where(lowest)})`
        : missed.map((l) => `${l.perFloor.toFixed(2)} (${where(l)}; infer/ok ${l.inferMsPerOk.toFixed(0)} ms, its floors' ` +
          `model ${l.floorInferMs.toFixed(0)} ms)`).join('; '),
  });

  const saturated = run.levels.filter((l) => l.concurrency > run.maxInFlight && Number.isFinite(l.p99PerP50));
  const highest = [...saturated].sort((a, b) => b.p99PerP50 - a.p99PerP50)[0];
  verdicts.push({
    target: `p99 ≤ ${TARGETS.p99PerP50} × p50 past MAX_IN_FLIGHT (${run.maxInFlight})`,
    met: highest ? highest.p99PerP50 <= TARGETS.p99PerP50 : undefined,
    figures: highest ? `highest ${highest.p99PerP50.toFixed(2)} (${where(highest)})` : 'no such level',
  });

  verdicts.push({
    target: `peak RSS ≤ ${TARGETS.peakRssMb} MB (64 clients, 12 MP photos)`,
    met: run.peakRssMb === undefined ? undefined : run.peakRssMb <= TARGETS.peakRssMb,
    figures: run.peakRssMb === undefined ? 'not measured (--skip-phone)' : `${run.peakRssMb.toFixed(0)} MB over the whole run`,
  });

  verdicts.push({
    target: `warm-up ≤ ${TARGETS.warmUp} × steady`,
    met: Number.isFinite(run.warmUp) ? run.warmUp <= TARGETS.warmUp : undefined,
    figures: Number.isFinite(run.warmUp) ? `${run.warmUp.toFixed(2)} × steady` : 'not measured',
  });
  return verdicts;
}

export function formatVerdicts(verdicts: readonly Verdict[]): string[] {
  const width = Math.max(...verdicts.map((v) => v.target.length));
  return verdicts.map((v) => `  ${v.target.padEnd(width)}  ${(v.met === undefined ? '-' : v.met ? 'met' : 'MISSED').padEnd(6)}  ${v.figures}`);
}
