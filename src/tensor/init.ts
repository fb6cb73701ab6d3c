import type { Rng } from "./random.js";

/**
 * Initialisers. Each fills `out[off, off + rows·cols)`, a row-major [rows, cols] block, from a seeded generator.
 * Recurrent layers apply them per gate block ([H, I] or [H, H]); see RecurrentInit.
 */

/** uniform(−bound, bound): PyTorch's default for RNN/LSTM/GRU uses bound = 1/√H for every weight and bias. */
export function initUniform(out: Float32Array, off: number, n: number, bound: number, rng: Rng): void {
  for (let i = 0; i < n; i++) out[off + i] = rng.uniformRange(-bound, bound);
}

/** Glorot/Xavier uniform: bound = gain·√(6 / (fanIn + fanOut)). */
export function initXavierUniform(out: Float32Array, off: number, fanOut: number, fanIn: number, rng: Rng, gain = 1): void {
  initUniform(out, off, fanOut * fanIn, gain * Math.sqrt(6 / (fanIn + fanOut)), rng);
}

/** Glorot/Xavier normal: std = gain·√(2 / (fanIn + fanOut)). */
export function initXavierNormal(out: Float32Array, off: number, fanOut: number, fanIn: number, rng: Rng, gain = 1): void {
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  for (let i = 0; i < fanOut * fanIn; i++) out[off + i] = std * rng.normal();
}

/**
 * A (semi-)orthogonal [rows, cols] matrix, as PyTorch's nn.init.orthogonal_: the Q of a QR factorisation of a
 * standard normal matrix, signs fixed by diag(R), transposed when rows < cols. Rows (or columns) are orthonormal.
 */
export function initOrthogonal(out: Float32Array, off: number, rows: number, cols: number, rng: Rng, gain = 1): void {
  const tall = rows >= cols;
  const m = tall ? rows : cols, n = tall ? cols : rows; // factor an m×n matrix with m ≥ n
  const q = new Float64Array(m * n);                    // column-major: column j at q[j·m, (j+1)·m)
  for (let i = 0; i < m * n; i++) q[i] = rng.normal();
  // Modified Gram–Schmidt, twice over for orthogonality to rounding level; r_jj's sign is folded in.
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += q[p * m + i]! * q[j * m + i]!;
        for (let i = 0; i < m; i++) q[j * m + i]! -= d * q[p * m + i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[j * m + i]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new RangeError("initOrthogonal: degenerate random matrix");
    for (let i = 0; i < m; i++) q[j * m + i]! /= norm;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // tall: out[r, c] = Q[r, c]; wide: out = Qᵀ, out[r, c] = Q[c, r]
      out[off + r * cols + c] = gain * (tall ? q[c * m + r]! : q[r * m + c]!);
    }
  }
}
