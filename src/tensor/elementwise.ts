/**
 * Activations over a range, and their derivatives from the activation's output (σ' = σ(1−σ), tanh' = 1−tanh²),
 * which is what a tape stores. All take (array, offset, count) and allocate nothing.
 */

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** out[o + i] = σ(inp[p + i]) for i < n. */
export function sigmoidRange(out: Float32Array, o: number, inp: Float32Array, p: number, n: number): void {
  for (let i = 0; i < n; i++) out[o + i] = 1 / (1 + Math.exp(-inp[p + i]!));
}

/** out[o + i] = tanh(inp[p + i]) for i < n. */
export function tanhRange(out: Float32Array, o: number, inp: Float32Array, p: number, n: number): void {
  for (let i = 0; i < n; i++) out[o + i] = Math.tanh(inp[p + i]!);
}

/** out[o + i] = max(0, inp[p + i]) for i < n. */
export function reluRange(out: Float32Array, o: number, inp: Float32Array, p: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = inp[p + i]!;
    out[o + i] = v > 0 ? v : 0;
  }
}

/** Fills the [rows, n] block at `o` (row stride `ld`) with `vec[v, v + n)` in every row; zeros when vec is null. */
export function broadcastRows(out: Float32Array, o: number, ld: number, rows: number, vec: Float32Array | null, v: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const row = o + r * ld;
    if (vec === null) out.fill(0, row, row + n);
    else for (let j = 0; j < n; j++) out[row + j] = vec[v + j]!;
  }
}

// float64 row accumulator for addColumnSums, grown to the widest call and reused
let colAcc = new Float64Array(0);

/**
 * sum[s + j] += Σ_r inp[p + r·ld + j] for j < n: column sums of a [rows, n] block (bias gradients). Rows are read in
 * order (contiguous memory) into a float64 accumulator, then added once into the float32 sums; and into `also[s + j]`
 * too when given (b_ih and b_hh of an LSTM or RNN have the same gradient: summed once, added to both).
 */
export function addColumnSums(sum: Float32Array, s: number, inp: Float32Array, p: number, ld: number, rows: number, n: number, also: Float32Array | null = null): void {
  if (colAcc.length < n) colAcc = new Float64Array(n);
  const acc = colAcc;
  acc.fill(0, 0, n);
  for (let r = 0; r < rows; r++) {
    const o = p + r * ld;
    for (let j = 0; j < n; j++) acc[j]! += inp[o + j]!;
  }
  for (let j = 0; j < n; j++) sum[s + j]! += acc[j]!;
  if (also !== null) for (let j = 0; j < n; j++) also[s + j]! += acc[j]!;
}
