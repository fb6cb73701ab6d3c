/**
 * How a bidirectional layer's two directions become one feature vector, as Keras' Bidirectional merge_mode:
 * concat (PyTorch's behaviour, width 2H), or elementwise sum, mean or product (width H).
 */
export type MergeMode = "concat" | "sum" | "mean" | "mul";

export const MERGE_MODES: readonly MergeMode[] = ["concat", "sum", "mean", "mul"];

/** The merged width for hidden size H and D directions. */
export function mergedWidth(mode: MergeMode, H: number, D: number): number {
  return D === 2 && mode !== "concat" ? H : D * H;
}

/** out[N, H] = merge(fwd, bwd) for inp[N, 2H] = [fwd | bwd]. (concat needs no kernel: the input is the output.) */
export function mergeForward(out: Float32Array, inp: Float32Array, N: number, H: number, mode: Exclude<MergeMode, "concat">): void {
  for (let n = 0; n < N; n++) {
    const o = n * H, f = n * 2 * H, b = f + H;
    for (let j = 0; j < H; j++) {
      const x = inp[f + j]!, y = inp[b + j]!;
      out[o + j] = mode === "sum" ? x + y : mode === "mean" ? 0.5 * (x + y) : x * y;
    }
  }
}

/**
 * Writes dInp[N, 2H] from dOut[N, H].
 *   sum: d fwd = d bwd = dOut;  mean: both dOut/2;  mul (out = f⊙b): d fwd = dOut⊙b, d bwd = dOut⊙f
 */
export function mergeBackward(dInp: Float32Array, dOut: Float32Array, inp: Float32Array, N: number, H: number, mode: Exclude<MergeMode, "concat">): void {
  for (let n = 0; n < N; n++) {
    const o = n * H, f = n * 2 * H, b = f + H;
    for (let j = 0; j < H; j++) {
      const g = dOut[o + j]!;
      if (mode === "mul") {
        dInp[f + j] = g * inp[b + j]!;
        dInp[b + j] = g * inp[f + j]!;
      } else {
        const s = mode === "sum" ? g : 0.5 * g;
        dInp[f + j] = s;
        dInp[b + j] = s;
      }
    }
  }
}
