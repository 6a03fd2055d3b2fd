/**
 * A multigrid solver for the discrete Poisson equation on a masked grid, for gradient-domain
 * blending (Pérez et al. 2003, what OpenCV's seamlessClone solves). Plain typed arrays.
 *
 * Unknown pixels are where `mask` is 1; every other pixel is a fixed (Dirichlet) value. At an
 * unknown pixel p with 4-neighbours n:  Σ (x_n − x_p) = rhs_p,  i.e. the 5-point Laplacian of x
 * equals `rhs`. `channels` values per pixel are solved together (interleaved, as RGB is).
 *
 * Method: V-cycles, red–black Gauss–Seidel smoothing, residuals summed onto a grid half the size
 * and the coarse correction interpolated back bilinearly; the coarsest grid is smoothed. A coarse
 * cell is unknown only if all four children are (with "any", the coarse domain outgrows the fine
 * one at a curved boundary, over-corrects there and the cycle diverges). Each cycle costs about
 * 8 sweeps of the fine grid and cuts the error about 3.5× on a disc (measured: 8.8 → 0.48 grey
 * levels in 3 cycles from a zero guess), where plain Gauss–Seidel would need hundreds of sweeps.
 */
export interface PoissonProblem {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** 1 = unknown. Raster on the grid's outer edge must be 0 (every unknown has four neighbours). */
  readonly mask: Uint8Array;
  /** In: fixed values outside the mask and the initial guess inside. Out: the solution inside. */
  readonly values: Float32Array;
  /** The Laplacian wanted at each unknown pixel (width × height × channels); omitted = 0 (Laplace). */
  readonly rhs?: Float32Array;
}

export interface PoissonOptions {
  /** V-cycles to run at most. */
  readonly cycles?: number;
  /** Stop when the largest residual (grey levels per pixel) falls below this. */
  readonly tolerance?: number;
  /** Gauss–Seidel sweeps before and after each coarse correction. */
  readonly smoothing?: number;
  /** Sweeps on the coarsest grid (where no coarser one helps, e.g. a thin band). */
  readonly coarsestSweeps?: number;
  /** Grids to use at most (1 = plain Gauss–Seidel on the fine grid). */
  readonly maxLevels?: number;
}

export interface PoissonReport {
  readonly cycles: number;
  /** Largest |residual| at an unknown pixel after the last cycle. */
  readonly residual: number;
}

interface Level {
  readonly width: number;
  readonly height: number;
  readonly mask: Uint8Array;
  /** Unknown pixel indices, the (x + y)-even ones ("red") first, then the odd ones ("black"). */
  readonly unknowns: Int32Array;
  readonly red: Int32Array;
  readonly black: Int32Array;
  readonly x: Float32Array;
  readonly g: Float32Array;
  /** Residuals (only where a coarser level reads them). */
  r: Float32Array | null;
  /**
   * Towards the next coarser level, per unknown (same order as `unknowns`): the coarse cell its
   * residual is summed into (−1 where that cell is fixed), and the four coarse cells its
   * correction is interpolated from (−1 where the stencil leaves the coarse grid). Made once,
   * not per cycle.
   */
  restrictTo: Int32Array | null;
  prolongFrom: Int32Array | null;
}

const COARSEST_UNKNOWNS = 64;
let zeros = new Float32Array(0);

export function solvePoisson(problem: PoissonProblem, options: PoissonOptions = {}): PoissonReport {
  const { width, height, channels: C, mask, values, rhs } = problem;
  if (values.length !== width * height * C || mask.length !== width * height) throw new Error('poisson: array sizes do not match the grid');
  for (let x = 0; x < width; x++) if (mask[x] || mask[(height - 1) * width + x]) throw new Error('poisson: the mask touches the grid edge');
  for (let y = 0; y < height; y++) if (mask[y * width] || mask[y * width + width - 1]) throw new Error('poisson: the mask touches the grid edge');
  const cycles = options.cycles ?? 8;
  const tolerance = options.tolerance ?? 0.25;
  const nu = options.smoothing ?? 2;
  const last = options.coarsestSweeps ?? 40;

  // Level 0 solves 4x_p − Σx_n = g_p with the fixed values left in x (so the same sweep serves
  // every level); coarser levels solve for the correction, zero outside their masks.
  const levels: Level[] = [];
  // Without a right-hand side level 0's g is all zeros and only read: share one zero array.
  let g0: Float32Array;
  if (rhs) {
    g0 = new Float32Array(values.length);
    for (let i = 0; i < g0.length; i++) g0[i] = -rhs[i]!;
  } else {
    if (zeros.length < values.length) zeros = new Float32Array(values.length);
    g0 = zeros.subarray(0, values.length);
  }
  levels.push(makeLevel(width, height, mask, values, g0));
  while (levels.length < (options.maxLevels ?? 32) && levels.at(-1)!.unknowns.length > COARSEST_UNKNOWNS) {
    const fine = levels.at(-1)!;
    const coarse = coarsen(fine, C);
    if (!coarse) break;
    link(fine, coarse, C);
    levels.push(coarse);
  }
  try {
    let residual = Infinity;
    let done = 0;
    while (done < cycles) {
      vCycle(levels, 0, C, nu, last);
      done++;
      residual = computeResidual(levels[0]!, C, null);
      if (residual < tolerance) break;
    }
    return { cycles: done, residual };
  } finally {
    // Scratch arrays hold differences of the images being blended (a person's face): zero them.
    for (const [k, level] of levels.entries()) {
      if (k > 0) level.x.fill(0);
      if (level.g !== g0 || rhs) level.g.fill(0);
      level.r?.fill(0);
    }
  }
}

function makeLevel(width: number, height: number, mask: Uint8Array, x: Float32Array, g: Float32Array): Level {
  let reds = 0; let count = 0;
  for (let y = 0; y < height; y++) {
    for (let xx = 0, p = y * width; xx < width; xx++, p++) {
      if (!mask[p]) continue;
      count++;
      if (!((xx + y) & 1)) reds++;
    }
  }
  const unknowns = new Int32Array(count);
  let r = 0; let b = reds;
  for (let y = 0; y < height; y++) {
    for (let xx = 0, p = y * width; xx < width; xx++, p++) {
      if (mask[p]) { if ((xx + y) & 1) unknowns[b++] = p; else unknowns[r++] = p; }
    }
  }
  return {
    width, height, mask, unknowns, red: unknowns.subarray(0, reds), black: unknowns.subarray(reds), x, g,
    r: null, restrictTo: null, prolongFrom: null,
  };
}

function coarsen(fine: Level, C: number): Level | null {
  const width = (fine.width + 1) >> 1; const height = (fine.height + 1) >> 1;
  if (width < 3 || height < 3) return null;
  const mask = new Uint8Array(width * height);
  const fw = fine.width; const fh = fine.height; const fm = fine.mask;
  for (let y = 1; y < height - 1; y++) {
    const fy = 2 * y;
    for (let x = 1; x < width - 1; x++) {
      const fx = 2 * x;
      // All four children unknown (a child past the fine grid's edge counts as fixed).
      if (fx + 1 < fw && fy + 1 < fh && fm[fy * fw + fx] && fm[fy * fw + fx + 1] && fm[(fy + 1) * fw + fx] && fm[(fy + 1) * fw + fx + 1]) mask[y * width + x] = 1;
    }
  }
  // Fine unknowns in the first fine row/column belong to coarse cells on the coarse edge, which
  // stay fixed at zero correction: the fine smoother covers them.
  const level = makeLevel(width, height, mask, new Float32Array(width * height * C), new Float32Array(width * height * C));
  return level.unknowns.length > 0 ? level : null;
}

/** Precomputes the fine level's restriction and prolongation indices towards `coarse`. */
function link(fine: Level, coarse: Level, C: number): void {
  const { unknowns } = fine; const fw = fine.width; const cw = coarse.width; const ch = coarse.height;
  const restrictTo = new Int32Array(unknowns.length);
  const prolongFrom = new Int32Array(unknowns.length * 4);
  for (let n = 0; n < unknowns.length; n++) {
    const p = unknowns[n]!;
    const fx = p % fw; const fy = (p - fx) / fw;
    const X = fx >> 1; const Y = fy >> 1;
    const q = Y * cw + X;
    restrictTo[n] = coarse.mask[q] ? q * C : -1;
    const NX = fx & 1 ? X + 1 : X - 1; const NY = fy & 1 ? Y + 1 : Y - 1;
    if (NX < 0 || NY < 0 || NX >= cw || NY >= ch) { prolongFrom[n * 4] = -1; continue; }
    prolongFrom[n * 4] = q * C; prolongFrom[n * 4 + 1] = (Y * cw + NX) * C;
    prolongFrom[n * 4 + 2] = (NY * cw + X) * C; prolongFrom[n * 4 + 3] = (NY * cw + NX) * C;
  }
  fine.restrictTo = restrictTo;
  fine.prolongFrom = prolongFrom;
  fine.r = new Float32Array(fine.x.length);
}

function sweep(level: Level, C: number, list: Int32Array): void {
  const { x, g, width: w } = level;
  if (C === 3) {
    const row = w * 3;
    for (let k = 0; k < list.length; k++) {
      const i = list[k]! * 3; const l = i - 3; const r = i + 3; const u = i - row; const d = i + row;
      x[i] = (g[i]! + x[l]! + x[r]! + x[u]! + x[d]!) * 0.25;
      x[i + 1] = (g[i + 1]! + x[l + 1]! + x[r + 1]! + x[u + 1]! + x[d + 1]!) * 0.25;
      x[i + 2] = (g[i + 2]! + x[l + 2]! + x[r + 2]! + x[u + 2]! + x[d + 2]!) * 0.25;
    }
    return;
  }
  for (let k = 0; k < list.length; k++) {
    const p = list[k]!;
    for (let c = 0; c < C; c++) {
      const i = p * C + c;
      x[i] = (g[i]! + x[i - C]! + x[i + C]! + x[i - w * C]! + x[i + w * C]!) * 0.25;
    }
  }
}

function smooth(level: Level, C: number, times: number): void {
  for (let t = 0; t < times; t++) { sweep(level, C, level.red); sweep(level, C, level.black); }
}

/** r = g − (4x − Σx_n) at unknowns (into `r` when given); returns max |r|. */
function computeResidual(level: Level, C: number, r: Float32Array | null): number {
  const { x, g, unknowns, width: w } = level;
  const row = w * C;
  let worst = 0;
  if (C === 3) {
    for (let k = 0; k < unknowns.length; k++) {
      const i = unknowns[k]! * 3; const l = i - 3; const rr = i + 3; const u = i - row; const d = i + row;
      const v0 = g[i]! + x[l]! + x[rr]! + x[u]! + x[d]! - 4 * x[i]!;
      const v1 = g[i + 1]! + x[l + 1]! + x[rr + 1]! + x[u + 1]! + x[d + 1]! - 4 * x[i + 1]!;
      const v2 = g[i + 2]! + x[l + 2]! + x[rr + 2]! + x[u + 2]! + x[d + 2]! - 4 * x[i + 2]!;
      if (r) { r[i] = v0; r[i + 1] = v1; r[i + 2] = v2; }
      const a0 = v0 < 0 ? -v0 : v0; const a1 = v1 < 0 ? -v1 : v1; const a2 = v2 < 0 ? -v2 : v2;
      if (a0 > worst) worst = a0;
      if (a1 > worst) worst = a1;
      if (a2 > worst) worst = a2;
    }
    return worst;
  }
  for (let k = 0; k < unknowns.length; k++) {
    const base = unknowns[k]! * C;
    for (let c = 0; c < C; c++) {
      const i = base + c;
      const v = g[i]! + x[i - C]! + x[i + C]! + x[i - row]! + x[i + row]! - 4 * x[i]!;
      if (r) r[i] = v;
      const a = v < 0 ? -v : v;
      if (a > worst) worst = a;
    }
  }
  return worst;
}

function vCycle(levels: readonly Level[], k: number, C: number, nu: number, last: number): void {
  const level = levels[k]!;
  const coarse = levels[k + 1];
  if (!coarse) {
    smooth(level, C, last);
    return;
  }
  smooth(level, C, nu);
  const r = level.r!;
  computeResidual(level, C, r);
  // Restrict: the coarse right-hand side is the sum of the children's residuals (the operator
  // is unscaled, so halving the spacing multiplies it by 4: sum = 4 × mean).
  const { unknowns } = level; const restrictTo = level.restrictTo!; const prolongFrom = level.prolongFrom!;
  const cg = coarse.g;
  cg.fill(0);
  coarse.x.fill(0);
  for (let n = 0; n < unknowns.length; n++) {
    const q = restrictTo[n]!;
    if (q < 0) continue;
    const i = unknowns[n]! * C;
    if (C === 3) { cg[q]! += r[i]!; cg[q + 1]! += r[i + 1]!; cg[q + 2]! += r[i + 2]!; continue; }
    for (let c = 0; c < C; c++) cg[q + c]! += r[i + c]!;
  }
  vCycle(levels, k + 1, C, nu, last);
  // Prolong: bilinear (weights 9/16, 3/16, 3/16, 1/16 for cell-centred grids); the coarse
  // correction is zero outside its mask.
  const ex = coarse.x; const x = level.x;
  for (let n = 0; n < unknowns.length; n++) {
    const a = prolongFrom[n * 4]!;
    if (a < 0) continue;
    const b = prolongFrom[n * 4 + 1]!; const c2 = prolongFrom[n * 4 + 2]!; const d = prolongFrom[n * 4 + 3]!;
    const i = unknowns[n]! * C;
    if (C === 3) {
      x[i]! += 0.5625 * ex[a]! + 0.1875 * (ex[b]! + ex[c2]!) + 0.0625 * ex[d]!;
      x[i + 1]! += 0.5625 * ex[a + 1]! + 0.1875 * (ex[b + 1]! + ex[c2 + 1]!) + 0.0625 * ex[d + 1]!;
      x[i + 2]! += 0.5625 * ex[a + 2]! + 0.1875 * (ex[b + 2]! + ex[c2 + 2]!) + 0.0625 * ex[d + 2]!;
      continue;
    }
    for (let c = 0; c < C; c++) {
      x[i + c]! += 0.5625 * ex[a + c]! + 0.1875 * (ex[b + c]! + ex[c2 + c]!) + 0.0625 * ex[d + c]!;
    }
  }
  smooth(level, C, nu);
}
