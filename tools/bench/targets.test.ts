import { describe, expect, it } from 'vitest';
import { formatVerdicts, judgeTargets, type LevelFigures, type RunFigures } from './targets.js';

const level = (endpoint: string, concurrency: number, perFloor: number, p99PerP50: number, inferMsPerOk = 245, floorInferMs = 250): LevelFigures =>
  ({ endpoint, concurrency, perFloor, p99PerP50, inferMsPerOk, floorInferMs });

// Figures shaped like a real run (session 5, run 1), 12 MP level without a floor.
const run: RunFigures = {
  levels: [
    level('landmarks', 1, 0.48, 1.29), level('landmarks', 4, 0.88, 1.31), level('landmarks', 16, 0.86, 1.16),
    level('landmarks', 64, 0.91, 1.19), level('effects/astronaut', 4, 0.92, 1.25), level('landmarks 12MP', 64, Number.NaN, 1.41),
  ],
  maxInFlight: 6, warmUp: 1.11, peakRssMb: 652,
};

describe('bench targets', () => {
  it('judges a run that meets every target, naming the tightest level', () => {
    const verdicts = judgeTargets(run);
    expect(verdicts.map((v) => v.met)).toEqual([true, true, true, true]);
    // One client is below 0.8 but outside the target; the 12 MP level has no floor.
    expect(verdicts[0]!.figures).toBe('lowest 0.86 (landmarks, 16 clients)');
    // Saturation means more clients than MAX_IN_FLIGHT: the 4-client level does not count.
    expect(verdicts[1]!.figures).toBe('highest 1.41 (landmarks 12MP, 64 clients)');
    expect(verdicts[2]!.figures).toBe('652 MB over the whole run');
  });

  it('lists every level that missed the throughput target, with its inference CPU beside the floor', () => {
    const slow = { ...run, levels: [...run.levels, level('effects/astronaut', 16, 0.63, 1.4, 463, 262), level('effects/astronaut', 64, 0.79, 3.2, 275, 241)] };
    const [throughput, tail] = judgeTargets(slow);
    expect(throughput!.met).toBe(false);
    expect(throughput!.figures).toBe(
      "0.63 (effects/astronaut, 16 clients; infer/ok 463 ms, its floors' model 262 ms); 0.79 (effects/astronaut, 64 clients; infer/ok 275 ms, its floors' model 241 ms)");
    expect(tail!.met).toBe(false);
    expect(tail!.figures).toBe('highest 3.20 (effects/astronaut, 64 clients)');
  });

  it('misses memory and warm-up above their bounds', () => {
    const verdicts = judgeTargets({ ...run, peakRssMb: 701, warmUp: 1.51 });
    expect(verdicts.map((v) => v.met)).toEqual([true, true, false, false]);
  });

  it('says "not measured" rather than met when a run left a target out', () => {
    const verdicts = judgeTargets({ levels: [level('landmarks', 1, 0.5, 1.2)], maxInFlight: 6, warmUp: Number.NaN, peakRssMb: undefined });
    expect(verdicts.map((v) => v.met)).toEqual([undefined, undefined, undefined, undefined]);
    const lines = formatVerdicts(verdicts);
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/ {2}- {7}/);
    expect(lines[2]).toContain('not measured (--skip-phone)');
  });
});
